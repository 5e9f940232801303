"""permissions.hidden_tables(): Datasette's hidden tables, read again only when the schema or configuration
changes. Datasette computes them in time quadratic in the tables on both versions (an outside tester: 2,000 +
2,000 tables cost Datasette 1.0a41 minutes of CPU an Ask, session 27), and Ask asked twice a question.

The oracle is Datasette's own answer: after every step of generated schema and configuration changes (FTS
tables with and without content=, tables named like shadow tables, `_` names, sqlite_stat1, drops, renames,
a file replaced by another of the same schema version, `hidden: true` added and removed), the cached answer
equals `db.hidden_table_names()` asked afresh.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm import permissions

STEPS = [
    "create table t{n} (id integer primary key, body text)",
    "create virtual table f{n} using fts5(body)",
    "create virtual table c{n} using fts5(body, content='t{m}', content_rowid='id')",
    "create table f{m}_extra (x)",
    "create table _private{n} (x)",
    "create table sqlite_stat1 (tbl, idx, stat)",
    "drop table if exists t{m}",
    "drop table if exists f{m}",
    "alter table t{m} rename to r{n}",
    "create view v{n} as select 1 as x",
    "CONFIG hide t{m}",
    "CONFIG unhide t{m}",
]


def _set_hidden(ds, database: str, table: str, hidden: bool) -> None:
    """What datasette.yaml (1.0) or metadata (0.65) says of the table, changed while the server runs (the
    plugin's own hide_in_config does so on 1.0)."""
    root = ds.config if DATASETTE_1 else ds._metadata_local
    tables = root.setdefault("databases", {}).setdefault(database, {}).setdefault("tables", {})
    if hidden:
        tables[table] = {"hidden": True}
    else:
        tables.pop(table, None)


def _apply(path, ds, step: str) -> None:
    if step.startswith("CONFIG"):
        _, verb, table = step.split()
        _set_hidden(ds, "data", table, verb == "hide")
        return
    conn = sqlite3.connect(path)
    try:
        conn.executescript(step)
        conn.commit()
    except sqlite3.DatabaseError:
        pass  # a generated step that does not apply (a name taken, a table missing): the schema stays
    finally:
        conn.close()


@pytest.mark.parametrize("seed", range(6))
def test_hidden_tables_are_datasettes_after_every_change(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "data.db"
    sqlite3.connect(path).close()
    ds = Datasette([str(path)], config={}) if DATASETTE_1 else Datasette([str(path)], metadata={})

    async def run():
        db = ds.get_database("data")
        for i in range(40):
            step = rng.choice(STEPS).format(n=i, m=rng.randrange(max(i, 1)))
            _apply(path, ds, step)
            cached = await permissions.hidden_tables(db)
            assert cached == frozenset(await db.hidden_table_names()), step
            assert await permissions.hidden_tables(db) == cached  # the second read, from the cache

    asyncio.run(run())


def test_a_file_replaced_at_the_same_schema_version_is_read_again(tmp_path):
    """Two files whose schema versions are equal but whose schemas differ: the cache is keyed by the schema
    itself, not by its version."""
    path, other = tmp_path / "data.db", tmp_path / "other.db"
    for target, sql in ((path, "create table a (x)"), (other, "create virtual table a using fts5(x)")):
        conn = sqlite3.connect(target)
        conn.execute(sql)
        conn.commit()
        conn.close()
    ds = Datasette([str(path)], config={}) if DATASETTE_1 else Datasette([str(path)], metadata={})

    async def run():
        db = ds.get_database("data")
        assert await permissions.hidden_tables(db) == frozenset()
        shutil.copy(other, path)
        assert await permissions.hidden_tables(db) == frozenset(await db.hidden_table_names()) != frozenset()

    asyncio.run(run())


def test_an_unchanged_schema_is_not_asked_of_datasette_again(tmp_path, monkeypatch):
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    for i in range(30):
        conn.execute(f"create virtual table f{i} using fts5(body)")
    conn.commit()
    conn.close()
    ds = Datasette([str(path)], config={}) if DATASETTE_1 else Datasette([str(path)], metadata={})
    db = ds.get_database("data")
    calls = []
    original = type(db).hidden_table_names

    async def counting(self):
        calls.append(1)
        return await original(self)

    monkeypatch.setattr(type(db), "hidden_table_names", counting)

    async def run():
        first = await permissions.hidden_tables(db)
        for _ in range(5):
            assert await permissions.hidden_tables(db) == first
        assert len(calls) == 1
        conn = sqlite3.connect(path)
        conn.execute("create virtual table g using fts5(body)")
        conn.commit()
        conn.close()
        assert "g_data" in await permissions.hidden_tables(db)
        assert len(calls) == 2

    asyncio.run(run())


def test_a_schema_changed_and_changed_back_while_read_is_not_kept(tmp_path, monkeypatch):
    """A schema that went A -> B -> A while Datasette read its list gave equal digests, and B's list (FTS
    shadow tables) was kept under A's key until the next change (an outside tester's race, session 28)."""
    path = tmp_path / "data.db"
    sqlite3.connect(path).close()
    ds = Datasette([str(path)], config={}) if DATASETTE_1 else Datasette([str(path)], metadata={})
    db = ds.get_database("data")
    original = type(db).hidden_table_names
    calls = []

    def write(sql):
        conn = sqlite3.connect(path)
        conn.executescript(sql)
        conn.close()

    async def racing(self):
        calls.append(1)
        if len(calls) == 1:
            write("create virtual table notes_fts using fts5(body)")
            names = await original(self)
            write("drop table notes_fts")
            return names
        return await original(self)

    monkeypatch.setattr(type(db), "hidden_table_names", racing)

    async def run():
        raced = await permissions.hidden_tables(db)
        assert "notes_fts_data" in raced  # what Datasette answered in B
        after = await permissions.hidden_tables(db)
        assert after == frozenset(await original(db)) and "notes_fts_data" not in after

    asyncio.run(run())


def test_a_read_is_shared_by_those_waiting_and_kept_when_they_are_gone(tmp_path, monkeypatch):
    """On 1.0a41 Datasette's read of 1,500 tables' hidden tables takes about 4 s. A question its client dropped left
    that read unkept, so the next question paid it again, and questions at once read it each (an outside tester,
    session 34: 4 cold questions at once took 36 s)."""
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("create virtual table f using fts5(body)")
    conn.commit()
    conn.close()
    ds = Datasette([str(path)], config={}) if DATASETTE_1 else Datasette([str(path)], metadata={})
    db = ds.get_database("data")
    original = type(db).hidden_table_names
    calls = []

    async def slow(self):
        calls.append(1)
        await asyncio.sleep(0.2)
        return await original(self)

    monkeypatch.setattr(type(db), "hidden_table_names", slow)

    async def run():
        dropped = asyncio.ensure_future(permissions.hidden_tables(db))
        await asyncio.sleep(0.05)
        dropped.cancel()  # the client went away while Datasette read
        await asyncio.sleep(0.3)
        assert "f_data" in await permissions.hidden_tables(db)
        assert len(calls) == 1  # kept, though nobody waited for it
        conn = sqlite3.connect(path)
        conn.execute("create virtual table g using fts5(body)")
        conn.commit()
        conn.close()
        answers = await asyncio.gather(*(permissions.hidden_tables(db) for _ in range(4)))
        assert all("g_data" in names for names in answers) and len(calls) == 2  # one read for the four

    asyncio.run(run())
