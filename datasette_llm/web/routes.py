"""Collects the routes and action links of every web surface (ask, search, agents)."""

from __future__ import annotations

import importlib

SURFACES = ("datasette_llm.web.ask", "datasette_llm.web.search", "datasette_llm.web.agents")


def _modules():
    for name in SURFACES:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise


def all_routes():
    routes = []
    for module in _modules():
        routes.extend(getattr(module, "ROUTES", []))
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
