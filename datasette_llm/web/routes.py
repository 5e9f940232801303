"""Collects the routes and action links of every web surface (ask, examples, search, agents)."""

from __future__ import annotations

from . import agents, ask, examples, search
from .responses import as_route

SURFACES = (ask, examples, search, agents)  # each has ROUTES, and may have action-link hooks


def _modules():
    yield from SURFACES


def all_routes():
    """Every surface's routes, each view wrapped by as_route (a failed read is a 503; nosniff on every response)."""
    routes = []
    for module in _modules():
        routes.extend((pattern, as_route(view)) for pattern, view in getattr(module, "ROUTES", []))
    return routes


def _collect(hook_name, *args):
    async def inner():
        links = []
        for module in _modules():
            hook = getattr(module, hook_name, None)
            if hook is not None:
                links.extend(await hook(*args) or [])
        return links

    return inner


def database_actions(datasette, actor, database):
    return _collect("database_actions", datasette, actor, database)


def table_actions(datasette, actor, database, table):
    return _collect("table_actions", datasette, actor, database, table)


def menu_links(datasette, actor):
    return _collect("menu_links", datasette, actor)
