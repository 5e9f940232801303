"""An index (or view, or trigger) named like a shadow table an FTS table did not make is no shadow table: its
b-tree is never one a query may open. Which shadow tables an FTS table makes depends on its options
(`columnsize=0`, `content=`, `matchinfo=fts3` ...); SQLite's own sqlite_master is the oracle for which names are
free. An index on a hidden table under such a name once let `count(*)` of the hidden table past the program
check (mutation testing, session 46: `and` read as `or` in shadow_tables_of went unnoticed)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.policy import ReadPolicy

pytestmark = pytest.mark.no_datasette

SUFFIXES = ("data", "idx", "content", "docsize", "config", "segments", "segdir", "stat")
FTS = [
    "fts5(x)",
    "fts5(x, columnsize=0)",
    "fts5(x, content='')",
    "fts5(x, detail=none, columnsize=0, content='')",
    "fts4(x)",
    "fts4(x, matchinfo=fts3)",
    "fts4(x, content='')",
    "fts3(x)",
]


def _free_names(fts: str) -> list[str]:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create virtual table docs using {fts}")
    made = {name for (name,) in conn.execute("select name from sqlite_master")}
    return [f"docs_{suffix}" for suffix in SUFFIXES if f"docs_{suffix}" not in made]


CASES = [(fts, name) for fts in FTS for name in _free_names(fts)]


def test_some_fts_options_leave_shadow_names_free():
    assert len(CASES) >= 5


@pytest.mark.parametrize(("fts", "name"), CASES)
def test_an_index_named_like_a_shadow_table_that_does_not_exist_is_no_shadow(fts, name):
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(
        f"create virtual table docs using {fts}; insert into docs(rowid, x) values (1, 'a');"
        "create table secret (id integer primary key, pw text); insert into secret values (1, 'a'), (2, 'b');"
        f'create index "{name}" on secret(pw);'
    )
    visible = {"docs"}
    policy = ReadPolicy.from_connection(conn, visible)
    assert name not in policy.shadow_tables
    root = conn.execute("select rootpage from sqlite_master where name = ?", (name,)).fetchone()[0]
    assert root not in policy.roots
    for sql in ("select count(*) from secret", f'select count(*) from secret indexed by "{name}"'):
        assert conn.execute(sql).fetchone()[0] == 2  # SQLite itself counts them
        with pytest.raises(QueryFailed):
            asyncio.run(run_select(FakeDatabase(conn), sql, allowed_tables=visible, max_rows=10, time_limit_ms=2000))
