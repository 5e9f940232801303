"""Without a read policy (a SchemaInfo of tables only, as the worker's warm-up and callers that build one by hand
have), a table-valued pragma is accepted only for a table of the schema and only where it describes that table
alone: table_info, table_xinfo and index_list of a known table run and answer as SQLite answers; foreign_key_list
(which names other tables) and the index pragmas (whose argument is not a table) are refused, and so is a table the
schema does not hold, though SQLite would describe it. SQLite's own answers are the oracle (mutation testing, session
47: nothing ran this branch)."""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import PRAGMA_ARGUMENT
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

DDL = """
create table dogs (id integer primary key, name text, owner int references people(id));
create index dogs_name on dogs(name);
create table people (id integer primary key, name text);
create table secret (pw text);
"""
SCHEMA = SchemaInfo({"dogs": ("id", "name", "owner"), "people": ("id", "name")})  # secret is not in it


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.executescript(DDL)
    return connection


@pytest.mark.parametrize("pragma", sorted(PRAGMA_ARGUMENT))
@pytest.mark.parametrize("name", ["dogs", "DOGS", "people", "secret", "dogs_name", "missing"])
def test_only_a_known_table_described_alone(conn, pragma, name):
    sql = f"select * from pragma_{pragma}('{name}')"
    answer = conn.execute(sql).fetchall()
    known_table = name.lower() in ("dogs", "people")
    expected = PRAGMA_ARGUMENT[pragma] == "table" and pragma != "foreign_key_list" and known_table
    guarded = check_select(sql, SCHEMA)
    assert isinstance(guarded, GuardedSQL) == expected, (sql, guarded)
    if expected:
        assert conn.execute(guarded.sql).fetchall() == answer
    else:
        assert guarded.kind in ("unknown_table", "forbidden_function")
