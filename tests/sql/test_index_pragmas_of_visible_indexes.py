"""pragma_index_info / pragma_index_xinfo of every index of a visible table answer as SQLite does (past both
walls); of an index of a hidden table they are refused. The indexes come from sqlite_master, SQLite's own list
(mutation testing, session 46: may_pragma checking an index name against the tables went unnoticed)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

DDL = """
create table dogs (id integer primary key, name text, owner text unique, age int);
create index dogs_name on dogs(name);
create index dogs_owner_age on dogs(owner, age desc);
create index "Dogs Odd" on dogs(age) where age > 3;
create table pub (id integer primary key, dog int references dogs(id), v text);
create index pub_v on pub(v collate nocase);
create table secret (id integer primary key, pw text unique);
create index secret_pw on secret(pw);
"""
VISIBLE = {"dogs", "pub"}


def _conn():
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(DDL)
    return conn


def _indexes():
    """(index, its table) for every index SQLite keeps, automatic ones (UNIQUE) too."""
    return sorted(_conn().execute("select name, tbl_name from sqlite_master where type = 'index'").fetchall())


@pytest.mark.parametrize("pragma", ["index_info", "index_xinfo"])
@pytest.mark.parametrize(("index", "table"), _indexes())
def test_index_pragmas_answer_for_visible_indexes_only(pragma, index, table):
    conn = _conn()
    literal = "'" + index.replace("'", "''") + "'"
    sql = f"select * from pragma_{pragma}({literal})"
    expected = [tuple(row) for row in conn.execute(sql).fetchall()]
    assert expected  # the oracle: SQLite describes every one of them
    run = lambda: asyncio.run(  # noqa: E731
        run_select(FakeDatabase(conn), sql, allowed_tables=VISIBLE, max_rows=100, time_limit_ms=2000)
    )
    if table in VISIBLE:
        assert isinstance(check_select(sql, SchemaInfo.from_connection(conn, include=VISIBLE)), GuardedSQL)
        assert list(run().rows) == expected
    else:
        with pytest.raises(QueryFailed):
            run()
