"""A statement whose width the guard's count cannot follow (sqlglot builds no scopes for it: two sources under one
alias, `t natural join t`) is left to the second wall, which reads the width SQLite compiled (guard.py
_check_result_width): with SQLite as the oracle, every such generated statement SQLite compiles at most
MAX_RESULT_COLUMNS wide is accepted by the guard and returns exactly that many columns, and every wider one is refused
by run_select. A guard that failed on the count refused them all as "could not parse the SQL" (outside tester's
mutation run, session 47)."""

from __future__ import annotations

import itertools
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import MAX_RESULT_COLUMNS
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

WIDTHS = (1, 40, MAX_RESULT_COLUMNS // 2, MAX_RESULT_COLUMNS - 1, MAX_RESULT_COLUMNS)
TABLES = {f"d{width}": width for width in WIDTHS}


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    for name, width in TABLES.items():
        connection.execute(f"create table {name} ({', '.join(f'c{i}' for i in range(width))})")
        connection.execute(f"insert into {name} values ({', '.join(['1'] * width)})")
    return connection


def _statements() -> list[str]:
    out = []
    for a, b in itertools.product(TABLES, repeat=2):
        out.append(f"select * from (select * from {a}) x, (select * from {b}) x")
        out.append(f"select * from (select * from {a}) x, (select 1 one) x")
        out.append(f"select x.* from (select * from {a}) x, (select * from {b}) x")
        out.append(f"select *, * from (select * from {a}) x, (select * from {b}) x")
    for a in TABLES:
        out.append(f"select * from {a} natural join {a}")
        out.append(f"select *, 1 from {a} natural join {a}")
    return out


def _width(conn, sql: str) -> int | None:
    try:
        return len(conn.execute(sql).description)
    except sqlite3.OperationalError:
        return None  # SQLite compiles it not (ambiguous names): nothing to say


@pytest.mark.asyncio
async def test_what_the_count_cannot_follow_is_judged_by_the_width_sqlite_compiles(conn):
    schema = SchemaInfo.from_connection(conn)
    database = FakeDatabase(conn)
    narrow = wide = 0
    for sql in _statements():
        width = _width(conn, sql)
        if width is None:
            continue
        guarded = check_select(sql, schema)
        if width <= MAX_RESULT_COLUMNS:
            narrow += 1
            assert isinstance(guarded, GuardedSQL), (sql, width, guarded)
            result = await run_select(database, guarded.sql, allowed_tables=set(TABLES), max_rows=5,
                                      time_limit_ms=10_000)  # fmt: skip
            assert len(result.columns) == width, sql
        else:
            wide += 1
            with pytest.raises(QueryFailed, match=f"has {width} "):
                await run_select(database, sql, allowed_tables=set(TABLES), max_rows=5, time_limit_ms=10_000)
    assert narrow > 10 and wide > 3
