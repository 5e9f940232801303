"""A database may hold virtual tables of a module this SQLite does not have (made by another program: spatialite,
sqlite-vec, spellfix1...). Hidden from the actor, they must not stop a read of a visible table: run_select answers
what SQLite itself answers for that read, whatever the unknown tables are called and however many there are.

The oracle is SQLite's own result for the same statement on the same file, with no authorizer.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select

pytestmark = pytest.mark.no_datasette

MODULES = ["vec0", "spellfix1", "VirtualSpatialIndex", "no_such_module"]


def _database(path, unknown: list[tuple[str, str]]):
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table pub (id integer primary key, title text);insert into pub (title) values ('a'), ('b'), ('c');"
    )
    conn.execute("pragma writable_schema = on")
    for name, module in unknown:
        conn.execute(
            "insert into sqlite_master (type, name, tbl_name, rootpage, sql) values ('table', ?, ?, 0, ?)",
            (name, name, f'CREATE VIRTUAL TABLE "{name}" USING {module}(x)'),
        )
    conn.execute("pragma writable_schema = off")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(path, check_same_thread=False)
    with pytest.raises(sqlite3.OperationalError):  # this SQLite cannot read them
        conn.execute(f'select * from "{unknown[0][0]}"').fetchall()
    return conn


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_visible_table_reads_as_sqlite_reads_it(tmp_path, count):
    for i, modules in enumerate(itertools.combinations(MODULES, count)):
        unknown = [(f"{module.lower()}_{i}_{n}", module) for n, module in enumerate(modules)]
        conn = _database(tmp_path / f"db{count}_{i}.db", unknown)
        for sql in ("select id, title from pub order by id", "select count(*) from pub", "select max(title) from pub"):
            expected = [list(row) for row in conn.execute(sql)]
            result = asyncio.run(
                run_select(FakeDatabase(conn), sql, allowed_tables={"pub"}, max_rows=10, time_limit_ms=2000)
            )
            assert [list(row) for row in result.rows] == expected, (unknown, sql)
        conn.close()
