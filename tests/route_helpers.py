"""The plugin's routes for the web-layer tests: a Datasette with every route open (teaching allowed, no warm-up)
over db.db's `items` table, and one concrete path for each route pattern. No tests live here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.web.routes import all_routes

# A value for each named group of the route patterns.
INSTANCE = {
    "(?P<database>[^/]+)": "db",
    "(?P<table>[^/]+)": "items",
    "(?P<id>[^/]+)": "1",
    "(?P<format>json|yaml)": "json",
}


def items_datasette(tmp_path: Path, rows: int = 0, **kwargs) -> Datasette:
    """db.db with `items (id, title)` holding `rows` rows, served with teaching allowed to everyone and no warm-up,
    the plugin's settings where the running Datasette reads them; `kwargs` go to Datasette (e.g. settings)."""
    with sqlite3.connect(tmp_path / "db.db") as conn:
        conn.execute("create table items (id integer primary key, title text)")
        conn.executemany("insert into items values (?, ?)", [(i, f"item {i}") for i in range(rows)])
    conn.close()
    plugins = {"plugins": {"datasette-llm": {"allow_teach": True, "warm_up": False}}}
    return Datasette(
        [str(tmp_path / "db.db")], **({"config": plugins} if DATASETTE_1 else {"metadata": plugins}), **kwargs
    )


def plugin_paths() -> list[str]:
    """One concrete path for each route pattern of the plugin."""
    paths = []
    for pattern, _ in all_routes():
        path = pattern.strip("^$").replace("\\.", ".")
        for group, value in INSTANCE.items():
            path = path.replace(group, value)
        paths.append(path)
    return paths
