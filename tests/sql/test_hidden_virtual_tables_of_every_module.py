"""A hidden virtual table of every module SQLite offers here stays hidden past the authorizer: a row count or an
EXISTS names no column, so only the program check (the VOpen of a hidden virtual table) refuses it. The FTS
modules also read shadow tables through SQL the authorizer sees; rtree prepares those reads when it connects,
before the authorizer is set, so for it the VOpen check is the only wall (mutation testing, session 46)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed

pytestmark = pytest.mark.no_datasette

# module -> (CREATE arguments, an INSERT of three rows)
MODULES = {
    "rtree": ("(id, x0, x1)", "insert into {t} values (1, 0, 1), (2, 2, 3), (3, 4, 5)"),
    "rtree_i32": ("(id, x0, x1)", "insert into {t} values (1, 0, 1), (2, 2, 3), (3, 4, 5)"),
    "fts3": ("(x)", "insert into {t} values ('a'), ('b'), ('c')"),
    "fts4": ("(x)", "insert into {t} values ('a'), ('b'), ('c')"),
    "fts5": ("(x)", "insert into {t} values ('a'), ('b'), ('c')"),
}
QUERIES = [
    "select count(*) from {t}",
    "select exists (select 1 from {t})",
    "select count(*) from (select 1 from {t})",
    "select 1 from dogs where exists (select 1 from {t})",
]


def _available(module: str) -> bool:
    try:
        sqlite3.connect(":memory:").execute(f"create virtual table t using {module}{MODULES[module][0]}")
    except sqlite3.Error:
        return False
    return True


def run(conn, sql, allowed):
    return asyncio.run(
        run_select(FakeDatabase(conn), sql, allowed_tables=set(allowed), max_rows=100, time_limit_ms=2000)
    )


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_hidden_virtual_table_of_any_module_is_not_counted(module, query):
    if not _available(module):
        pytest.skip(f"this SQLite has no {module}")
    args, insert = MODULES[module]
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(
        f"create table dogs (id); insert into dogs values (1);"
        f"create virtual table hidden_vt using {module}{args}; {insert.format(t='hidden_vt')};"
        f"create virtual table shown_vt using {module}{args}; {insert.format(t='shown_vt')};"
    )
    # The oracle: SQLite itself answers the query, for the hidden table and the visible twin alike.
    assert conn.execute(query.format(t="hidden_vt")).fetchall() == conn.execute(query.format(t="shown_vt")).fetchall()
    expected = conn.execute(query.format(t="shown_vt")).fetchall()
    visible = {"dogs", "shown_vt"}
    # Asked first and again, so the virtual table is connected both before and after the authorizer is set.
    for _ in range(2):
        assert list(run(conn, query.format(t="shown_vt"), visible).rows) == [tuple(r) for r in expected]
        with pytest.raises(QueryFailed):
            run(conn, query.format(t="hidden_vt"), visible)
