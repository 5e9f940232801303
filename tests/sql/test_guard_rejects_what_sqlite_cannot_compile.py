"""The guard never accepts a table position SQLite itself cannot compile: the right side of IN that is neither a
list, a subquery nor a table name (`id IN 5`; a quoted string, which the guard reads as a table name and this
SQLite refuses, is left out), and names of more than two parts (`x.main.dogs`). SQLite's own compile (EXPLAIN,
no authorizer) is the oracle (mutation testing, session 46: dropping either refusal went unnoticed)."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

RIGHT_SIDES = ["5", "5.5", "-1", "x'00'", "null", "dogs", "main.dogs", "(1, 2)", "(select id from dogs)"]
FROMS = ["dogs", "main.dogs", "x.main.dogs", "main.main.dogs", "a.b.dogs"]
CASES = [f"select id from {f} where id in {r}" for f, r in itertools.product(FROMS, RIGHT_SIDES)]


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.executescript("create table dogs (id integer primary key, name text); create table secret (pw);")
    return connection


def _sqlite_compiles(conn, sql):
    try:
        conn.execute("explain " + sql).fetchall()
    except sqlite3.Error:
        return False
    return True


def test_the_family_holds_both_kinds(conn):
    verdicts = {_sqlite_compiles(conn, sql) for sql in CASES}
    assert verdicts == {True, False}


@pytest.mark.parametrize("sql", CASES)
def test_the_guard_accepts_nothing_sqlite_cannot_compile(conn, sql):
    accepted = isinstance(check_select(sql, SchemaInfo.from_connection(conn, include={"dogs"})), GuardedSQL)
    if not _sqlite_compiles(conn, sql):
        assert not accepted, sql
