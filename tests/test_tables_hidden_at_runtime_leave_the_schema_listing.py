"""A table the configuration hides while the server runs leaves the plugin's schema listing at once, as it leaves
Datasette's own: hidden tables never reach a schema listing or a prompt (SECURITY.md). The plugin keeps its list
of hidden tables until the schema or the configuration's hidden tables change (permissions.hidden_tables, keyed
by compat.configured_hidden_tables): an entry that turns `hidden` on or off, new or already there, must change
that key.

Oracle: Datasette's own `db.hidden_table_names()` for the same configuration, asked afresh, against
`/-/llm/schema.json`, over generated schemas and generated hide / unhide steps (new entries, removed entries,
entries flipped between hidden and not in place).
"""

from __future__ import annotations

import random
import sqlite3

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1


def _tables_config(ds) -> dict:
    root = ds.config if DATASETTE_1 else ds._metadata_local
    return root.setdefault("databases", {}).setdefault("data", {}).setdefault("tables", {})


async def _listed(ds) -> set[str]:
    response = await ds.client.get("/-/llm/schema.json?database=data")
    assert response.status_code == 200, response.text
    return {t["name"] for t in response.json()["databases"][0]["tables"]}


async def _datasettes(ds) -> set[str]:
    db = ds.get_database("data")
    hidden = set(await db.hidden_table_names())
    return {t for t in await db.table_names() if t not in hidden} | set(await db.view_names())


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(8))
async def test_a_table_hidden_while_serving_leaves_the_schema_listing(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    names = [f"t{i}" for i in range(rng.randint(3, 7))]
    for name in names:
        conn.execute(f"create table {name} (id integer primary key, body text)")
    conn.commit()
    conn.close()
    ds = Datasette([str(path)], config={}) if DATASETTE_1 else Datasette([str(path)], metadata={})
    await ds.invoke_startup()
    tables = _tables_config(ds)
    for name in names:  # every table named in the configuration, none hidden yet
        tables[name] = {"hidden": False}
    assert await _listed(ds) == await _datasettes(ds)
    for _ in range(12):
        name = rng.choice(names)
        step = rng.choice(["flip", "flip", "hide_all", "unhide_all", "drop"])
        if step == "flip":
            tables[name] = {"hidden": not (tables.get(name) or {}).get("hidden", False)}
        elif step == "hide_all":
            for other in rng.sample(names, rng.randint(1, len(names))):
                tables[other] = {"hidden": True}
        elif step == "unhide_all":
            for other in names:
                tables[other] = {"hidden": False}
        else:
            tables.pop(name, None)
        assert await _listed(ds) == await _datasettes(ds), (step, name, dict(tables))
