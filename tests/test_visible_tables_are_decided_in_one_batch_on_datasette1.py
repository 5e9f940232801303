"""Datasette 1.0: which of a database's plain tables and views an actor may see is decided by one query over
Datasette's catalog (permissions.viewable_tables), not by one `datasette.allowed()` a table: asked table by table,
1,000 tables, 500 views and 250 FTS tables cost 11-28 s a question on 1.0a41 (session 29). The verdicts must
still be Datasette's own: the oracle is `datasette.allowed()` for each table, asked directly, over generated
schemas and `allow` blocks; and the plugin itself must ask `allowed()` about none of the plain tables.
"""

from __future__ import annotations

import random
import sqlite3

import pytest
from datasette.app import Datasette
from datasette_versions import only_datasette_1

from datasette_llm import permissions

pytestmark = only_datasette_1


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_plain_tables_are_not_asked_one_by_one(tmp_path, seed):
    from datasette.resources import TableResource

    rng = random.Random(seed)
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    names = [f"t{i}" for i in range(rng.randint(20, 40))]
    for name in names:
        conn.execute(f"create table {name} (id integer primary key)")
    views = [f"v{i}" for i in range(rng.randint(1, 5))]
    for view in views:
        conn.execute(f"create view {view} as select * from {rng.choice(names)}")
    conn.commit()
    conn.close()
    tables = {
        name: {"allow": rng.choice([False, {"id": "alice"}, {"id": ["bob", "alice"]}])}
        for name in rng.sample(names + views, len(names) // 3)
    }
    ds = Datasette([str(path)], config={"databases": {"data": {"tables": tables}}})
    await ds.invoke_startup()
    every = names + views
    for actor in (None, {"id": "alice"}, {"id": "bob"}):
        want = [
            name
            for name in every
            if await ds.allowed(action="view-table", resource=TableResource("data", name), actor=actor)
        ]
        asked = []
        original = ds.allowed

        async def counting(*, action, resource=None, actor=None, asked=asked, original=original, **kw):
            asked.append((action, getattr(resource, "child", None)))
            return await original(action=action, resource=resource, actor=actor, **kw)

        ds.allowed = counting
        try:
            got = await permissions.viewable_tables(ds, actor, "data", every)
        finally:
            ds.allowed = original
        assert got == want, actor
        one_by_one = [child for action, child in asked if action == "view-table" and child in every]
        assert not one_by_one, f"{len(one_by_one)} of {len(every)} plain tables asked one by one"
