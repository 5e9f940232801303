"""Caps and quoting of the unread-dates warning (ask/repairs/unread_dates.py) no test pinned: at most 4 columns
probed per query, a value quoted to 40 characters, a BLOB named as such, only SQLite's date functions probed, only a
column passed alone. Written by an outside tester (attack57m) against mutants that survived the repo's tests. Each
count warned of is SQLite's own: the call on each stored value alone, outside the repair."""

import asyncio
import sqlite3

import pytest
from sqlite_probe import SQLiteProbe

from datasette_llm.ask.repairs.unread_dates import unread_dates

pytestmark = pytest.mark.no_datasette

MAX_COLUMNS, SHOWN = 4, 40  # as documented when this was written (not imported: a changed cap must fail here)
DATES = ("d1", "d2", "d3", "d4", "d5")
COLUMNS = {"posts": ("id", "title", *DATES), "exact": ("id", "d")}
LONG = "the fifth of March in the year two thousand and twenty-four"


@pytest.fixture(scope="module")
def conn():
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create table posts (id integer primary key, title text, {', '.join(DATES)})")
    rows = [
        ("a", "2024-03-05", "03/05/2024", "March 5", LONG, "2024-03-05"),
        ("b", "05.03.2024", "2024-03-05", "2024-03-06", "2024-03-07", sqlite3.Binary(b"\x01\x02")),
    ]
    conn.execute("create table exact (id integer primary key, d text)")
    conn.execute("insert into exact (d) values (?)", (LONG[:SHOWN],))  # exactly as long as a quote may be
    conn.executemany(f"insert into posts (title, {', '.join(DATES)}) values (?, ?, ?, ?, ?, ?)", rows)
    return conn


def warnings(conn, sql):
    return asyncio.run(unread_dates(SQLiteProbe(conn), sql, COLUMNS))


def unread(conn, column):
    """SQLite, value by value: how many values neither NULL nor blank date() reads as NULL."""
    values = [row[0] for row in conn.execute(f"select {column} from posts")]
    return sum(
        1
        for v in values
        if v is not None and str(v).strip() and conn.execute("select date(?)", (v,)).fetchone()[0] is None
    )


def test_at_most_four_columns_are_probed(conn):
    assert all(unread(conn, column) == 1 for column in DATES)  # every column holds one value date() cannot read
    found = warnings(conn, f"SELECT {', '.join(f'date({c})' for c in DATES)} FROM posts")
    assert len(found) == MAX_COLUMNS
    assert [w.split(" of ", 1)[1].split()[0] for w in found] == list(DATES[:MAX_COLUMNS])
    assert all(" is NULL for 1 value of " in w for w in found)


def test_a_long_value_is_quoted_to_forty_characters(conn):
    (warning,) = warnings(conn, "SELECT date(d4) FROM posts")
    assert f"(such as {LONG[:SHOWN] + '…'!r})" in warning


def test_a_value_exactly_forty_characters_long_is_quoted_whole(conn):
    (warning,) = warnings(conn, "SELECT date(d) FROM exact")
    assert f"(such as {LONG[:SHOWN]!r})" in warning


def test_a_blob_is_named_not_quoted(conn):
    (warning,) = warnings(conn, "SELECT date(d5) FROM posts")
    assert "(such as a BLOB)" in warning


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT nullif(title, 'a') FROM posts",  # NULL for a value, but no date function
        "SELECT date(upper(d2)) FROM posts",  # the column is not passed alone
        "SELECT FROM WHERE",  # not SQL
    ],
)
def test_no_warning_is_an_empty_list(conn, sql):
    assert warnings(conn, sql) == []
