"""The caps of the key-literal mend (ask/repairs/key_literals.py): at most MAX_KEY_LITERALS comparisons mended per
query, at most MAX_NAME_COLUMNS columns of the referenced table searched (its key column left out). Written by an
outside tester (attack57m): changing either cap by one survived every existing test. Each mended query is also run on
SQLite, against the rows the names mean."""

import asyncio
import sqlite3

import pytest
from sqlite_probe import SQLiteProbe

from datasette_llm.ask.repairs.key_literals import mend_key_literals
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

# the caps as documented when this was written (not imported: a changed cap must fail here)
MAX_KEY_LITERALS = 4
MAX_NAME_COLUMNS = 12

NAMES = [f"c{i}" for i in range(1, MAX_NAME_COLUMNS + 2)]  # one column more than are searched
COLUMNS = {"makers": ["id", *NAMES], "cars": ["cid", "maker"]}
LINKS = [Link("cars", "maker", "makers", "id", False)]


@pytest.fixture(scope="module")
def conn():
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create table makers (id integer primary key, {', '.join(NAMES)})")
    conn.execute("create table cars (cid integer primary key, maker integer references makers(id))")
    # maker k's name is in column c{k} only (the other columns hold codes no query names)
    for k in range(1, len(NAMES) + 1):
        row = [f"code{k}-{i}" for i in range(1, len(NAMES) + 1)]
        row[k - 1] = f"maker{k}"
        conn.execute(f"insert into makers values (?, {', '.join('?' * len(NAMES))})", (k, *row))
        conn.execute("insert into cars (maker) values (?)", (k,))
    return conn


def mend(conn, sql):
    return asyncio.run(mend_key_literals(SQLiteProbe(conn), sql, COLUMNS, LINKS))


def test_a_name_in_the_last_column_searched_is_found(conn):
    last = MAX_NAME_COLUMNS  # makerN sits in cN, the last column searched
    sql, changes = mend(conn, f"SELECT cid FROM cars WHERE maker = 'maker{last}'")
    assert len(changes) == 1 and f"c{last} = 'maker{last}'" in sql
    assert conn.execute(sql).fetchall() == [(last,)]


def test_a_name_past_the_columns_searched_is_left_alone(conn):
    assert mend(conn, f"SELECT cid FROM cars WHERE maker = 'maker{MAX_NAME_COLUMNS + 1}'") is None


def test_only_the_first_comparisons_are_mended(conn):
    wanted = range(1, MAX_KEY_LITERALS + 2)  # one comparison more than are mended
    where = " OR ".join(f"maker = 'maker{k}'" for k in wanted)
    sql, changes = mend(conn, f"SELECT cid FROM cars WHERE {where} ORDER BY cid")
    assert len(changes) == MAX_KEY_LITERALS
    # the one past the cap stays as written (which one: the order sqlglot walks the ORs in) and finds nothing
    left = [k for k in wanted if f"maker = 'maker{k}'" in sql]
    assert len(left) == 1
    assert conn.execute(sql).fetchall() == [(k,) for k in wanted if k not in left]


def test_a_function_of_the_key_column_is_left_alone(conn):
    # `lower(maker)` is no key column: nothing to mend (and nothing read off a node that is not a column)
    assert mend(conn, "SELECT cid FROM cars WHERE lower(maker) = 'maker1'") is None


def test_of_two_columns_holding_the_name_the_one_spelling_it_exactly_is_used():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "create table makers (id integer primary key, code text, name text);"
        "create table cars (cid integer primary key, maker integer references makers(id));"
        "insert into makers values (1, 'FORD', 'Audi'), (2, 'AUDI', 'Ford');"  # 'Ford' exactly: maker 2's name
        "insert into cars (maker) values (1), (2);"
    )
    columns = {"makers": ["id", "code", "name"], "cars": ["cid", "maker"]}
    sql, _ = asyncio.run(
        mend_key_literals(SQLiteProbe(conn), "SELECT cid FROM cars WHERE maker = 'Ford'", columns, LINKS)
    )
    assert "name = 'Ford'" in sql
    assert conn.execute(sql).fetchall() == [(2,)]
