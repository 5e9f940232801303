"""permissions.viewable_tables (one query for a database's tables on Datasette 1.0) against can_view_table asked
table by table, the definition it replaces, on generated schemas, rules, actors and token restrictions.

Asked table by table, Datasette 1.0a41 took time quadratic in the tables (1,000 tables, 500 views and 250 FTS
tables: 11-28 s a question, session 29). On Datasette 0.65 viewable_tables asks table by table, so the two agree
by construction there; the comparison runs on the 1.0 leg.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3

import datasette
import pytest

if int(datasette.__version__.split(".")[0]) < 1:
    pytest.skip(f"needs Datasette >= 1.0a (installed: {datasette.__version__})", allow_module_level=True)

from datasette.app import Datasette  # noqa: E402

from datasette_llm import permissions  # noqa: E402

# Names that differ only by a non-ASCII case (SQLite tells them apart, Python's lower() does not) or by ASCII
# case in rules (SQLite does not tell those apart), and names of SQL words and punctuation.
NAMES = ["items", "secret", "élan", "Élan", "Notes", "order", "a b", 'q"t', "logs_2024", "t1", "T2x", "ünï"]
ACTORS = [None, {"id": "alice"}, {"id": "bob"}, {"id": "root"}, {"id": 5}, {"id": "alice", "role": "staff"}]
ABBREVIATIONS = ["vt", "vd", "vi", "view-table", "view-database", "es"]


def _schema(path, rng: random.Random) -> list[str]:
    conn = sqlite3.connect(path)
    names = rng.sample(NAMES, rng.randrange(2, len(NAMES)))
    tables = []
    for name in names:
        if name.lower() in {t.lower() for t in tables}:  # SQLite folds ASCII case: one of them
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        conn.execute(f"create table {quoted} (id integer primary key, body text)")
        conn.execute(f"insert into {quoted} (body) values ('x')")
        tables.append(name)
    for i in range(rng.randrange(0, 3)):
        source = '"' + rng.choice(tables).replace('"', '""') + '"'
        conn.execute(f'create view "v{i}" as select * from {source}')
    for i in range(rng.randrange(0, 3)):
        source = rng.choice(tables).replace("'", "''")
        content = rng.choice([f", content='{source}', content_rowid='id'", ""])
        conn.execute(f'create virtual table "f{i}" using fts5(body{content})')
    conn.commit()
    conn.close()
    return tables


def _allow(rng: random.Random):
    return rng.choice(
        [
            {"id": "alice"},
            {"id": ["alice", "bob"]},
            {"id": "*"},
            {"role": "staff"},
            False,
            True,
            {"id": "nobody"},
        ]
    )


def _config(rng: random.Random, names: list[str]) -> dict:
    database: dict = {}
    if rng.random() < 0.3:
        database["allow"] = _allow(rng)
    tables = {}
    for name in rng.sample(names + ["v0", "f0", "f0_data"], rng.randrange(0, 4)):
        spelled = rng.choice([name, name.upper(), name.lower()])  # a rule's name in another ASCII case
        tables[spelled] = {"allow": _allow(rng)}
    if tables:
        database["tables"] = tables
    if rng.random() < 0.3:
        database["permissions"] = {"view-table": _allow(rng)}
    config = {"databases": {"db": database}}
    if rng.random() < 0.2:
        config["allow"] = _allow(rng)
    if rng.random() < 0.3:
        config["permissions"] = {"view-table": _allow(rng)}
    return config


def _restricted(rng: random.Random, actor, names: list[str]):
    """The actor as an API token restricted to some actions, databases and tables."""
    if actor is None or rng.random() < 0.5:
        return actor
    restrictions: dict = {}
    if rng.random() < 0.5:
        restrictions["a"] = rng.sample(ABBREVIATIONS, rng.randrange(0, 3))
    if rng.random() < 0.5:
        restrictions["d"] = {"db": rng.sample(ABBREVIATIONS, rng.randrange(0, 3))}
    if rng.random() < 0.6:
        picked = rng.sample(names + ["v0", "f0"], rng.randrange(1, 4))
        restrictions["r"] = {"db": {name: rng.sample(ABBREVIATIONS, rng.randrange(1, 3)) for name in picked}}
    return {**actor, "token": "dstok", "_r": restrictions}


async def _compare(path, config, actors) -> int:
    ds = Datasette([str(path)], config=config)
    await ds.invoke_startup()
    await ds.refresh_schemas()
    db = ds.get_database("db")
    names = await db.table_names() + await db.view_names()
    compared = 0
    for actor in actors:
        expected = [t for t in names if await permissions.can_view_table(ds, actor, "db", t)]
        assert await permissions.viewable_tables(ds, actor, "db", names) == expected, (config, actor)
        compared += len(names)
    return compared


@pytest.mark.parametrize("seed", range(8))
def test_one_query_agrees_with_asking_table_by_table(tmp_path, seed):
    rng = random.Random(seed)
    compared = 0
    for run in range(5):
        path = tmp_path / f"{run}" / "db.db"
        path.parent.mkdir()
        tables = _schema(path, rng)
        config = _config(rng, tables)
        actors = [_restricted(rng, actor, tables) for actor in ACTORS]
        compared += asyncio.run(_compare(path, config, actors))
    assert compared > 0


def test_a_table_datasettes_catalog_does_not_hold_yet_is_asked_on_its_own(tmp_path):
    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.execute("create table items (id integer primary key)")
    conn.commit()
    config = {"databases": {"db": {"tables": {"late": {"allow": {"id": "alice"}}}}}}

    async def run():
        ds = Datasette([str(path)], config=config)
        await ds.invoke_startup()
        await ds.refresh_schemas()
        conn.execute("create table late (id integer primary key)")  # after the catalog was read
        conn.execute("create table later (id integer primary key)")
        conn.commit()
        names = ["items", "late", "later"]
        return (
            await permissions.viewable_tables(ds, None, "db", names),
            await permissions.viewable_tables(ds, {"id": "alice"}, "db", names),
        )

    assert asyncio.run(run()) == (["items", "later"], ["items", "late", "later"])
