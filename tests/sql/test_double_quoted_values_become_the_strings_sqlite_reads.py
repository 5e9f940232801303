"""Double-quoted names that match no column are values to SQLite (its legacy rule): the guard rewrites each as a
'string', and the rewritten statement finds exactly the rows SQLite finds with the text as written, for several
such values in one statement whose rewriting changes their length (a ' doubled, a "" undoubled). SQLite running
the original text is the oracle (mutation testing, session 47: rewriting the values first to last, which shifts
every later one, went unnoticed)."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

VALUES = ["Bob", "O'Brien", 'say ""hi""', "it''s", "a b", "x'y'z", "Zoë", "100%"]


def _stored(written: str) -> str:
    return written.replace('""', '"')  # inside "...", "" is one "


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.execute("create table dogs (id integer primary key, name text, owner text)")
    rows = [(i, _stored(v), _stored(VALUES[-1 - i])) for i, v in enumerate(VALUES)]
    connection.executemany("insert into dogs values (?, ?, ?)", rows)
    return connection


def _dqs_enabled(conn) -> bool:
    try:
        return conn.execute('select "not a column"').fetchone() == ("not a column",)
    except sqlite3.OperationalError:
        return False


CASES = [
    f'select id from dogs where name = "{a}" or owner = "{b}" or name in ("{c}", "x") order by id'
    for a, b, c in itertools.permutations(VALUES, 3)
]


def test_the_family_finds_rows(conn):
    if not _dqs_enabled(conn):
        pytest.skip("this SQLite reads double-quoted names only as names")
    assert all(conn.execute(sql).fetchall() for sql in CASES)


@pytest.mark.parametrize("sql", CASES)
def test_the_rewritten_statement_finds_what_sqlite_finds(conn, sql):
    if not _dqs_enabled(conn):
        pytest.skip("this SQLite reads double-quoted names only as names")
    guarded = check_select(sql, SchemaInfo.from_connection(conn))
    assert isinstance(guarded, GuardedSQL), guarded
    assert conn.execute(guarded.sql).fetchall() == conn.execute(sql).fetchall()
