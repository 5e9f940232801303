"""Collects the routes, action links and ASGI wrappers of every web surface (ask, examples, feedback, search,
agents)."""

from __future__ import annotations

from . import agents, ask, examples, feedback, search
from .responses import as_route

SURFACES = (ask, examples, feedback, search, agents)  # each has ROUTES, and may have action-link hooks


def _modules():
    yield from SURFACES


def all_routes():
    """Every surface's routes, each view wrapped by as_route (a failed read is a 503; nosniff on every response)."""
    routes = []
    for module in _modules():
        routes.extend((pattern, as_route(view)) for pattern, view in getattr(module, "ROUTES", []))
    return routes


def asgi_layers(datasette):
    """The plugin's ASGI wrappers around Datasette, in one order: outermost what a shared cache may keep, which must
    see every response of the plugin's routes (the body limits' refusals came out with no word on caching while it
    was the inner one: an outside tester, session 46); then Datasette's CSRF refusals of JSON requests made JSON;
    then the body limits, before Datasette's CSRF layer."""
    from . import body_limits, csrf_refusals, shared_caches

    caches, refusals = shared_caches.wrap(datasette), csrf_refusals.wrap(datasette)
    bodies = body_limits.wrap(datasette)
    return lambda app: caches(refusals(bodies(app)))


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
