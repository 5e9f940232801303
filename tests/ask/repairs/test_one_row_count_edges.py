"""Edges of the one-row COUNT doubt (ask/repairs/one_row_count.py) no test reached: a window COUNT is not the
SELECT's own, a column outside the table's list (rowid) pins nothing, a table of another schema is not probed by
its bare name, "the number of" is not a word of the thing counted, and "no doubt" is an empty list. Written by an
outside tester (attack57m) against mutants that survived the repo's tests. The truth of each doubt is checked on
SQLite: the query's count for every stored value of the pinned column."""

import asyncio
import sqlite3

import pytest
from sqlite_probe import SQLiteProbe

from datasette_llm.ask.repairs.one_row_count import one_row_count

pytestmark = pytest.mark.no_datasette

COLUMNS = {"reports": ("id", "title", "region"), "numbers": ("id", "label", "value")}


@pytest.fixture(scope="module")
def conn():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "create table reports (id integer primary key, title text, region text);"
        "insert into reports values (1, 'Leror Mine', 'north'), (2, 'Lerror Mine', 'north'), (3, 'Kuorine', 'south');"
        "create table numbers (id integer primary key, label text, value integer);"
        "insert into numbers values (1, 'Leror Mine', 417), (2, 'Kuorine', 5);"
    )
    return conn


def doubts(conn, sql, question="How many miners worked at Leror Mine?"):
    return asyncio.run(one_row_count(SQLiteProbe(conn), sql, question, COLUMNS))


def largest_count(conn, sql, column, table="reports"):
    """SQLite's count for every stored value of the pinned column in place of 'Leror Mine'."""
    values = [row[0] for row in conn.execute(f"select distinct {column} from {table}")]
    return max(conn.execute(sql.replace("'Leror Mine'", "?"), (v,)).fetchone()[0] for v in values)


def test_no_doubt_is_an_empty_list(conn):
    shared = "select count(*) from reports where region = 'north'"
    assert doubts(conn, shared) == []  # two rows share the region
    own = "select count(*) from reports where title = 'Leror Mine'"
    assert doubts(conn, own, question="How many reports name Leror Mine?") == []  # the table's own rows
    assert largest_count(conn, own, "title") == 1 and len(doubts(conn, own)) == 1


def test_a_window_count_is_not_the_selects_own():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "create table reports (id integer primary key, title text, region text);"
        "insert into reports values (1, 'Leror Mine', 'north'), (2, 'Kuorine', 'south');"
    )
    sql = "select title, count(*) over () from reports where title = 'Leror Mine'"
    assert doubts(conn, sql) == []


def test_a_column_outside_the_tables_list_pins_nothing(conn):
    assert doubts(conn, "select count(*) from reports where rowid = 1") == []


def test_a_table_of_another_schema_is_not_probed_by_its_bare_name(conn):
    # the probe would read main's reports: a temp table of the same name is another table
    assert doubts(conn, "select count(*) from temp.reports where title = 'Leror Mine'") == []


def test_the_number_of_is_not_a_word_of_what_is_counted(conn):
    # "number" is the table's name, but the question counts miners
    sql = "select count(*) from numbers where label = 'Leror Mine'"
    assert largest_count(conn, sql, "label", "numbers") == 1
    assert len(doubts(conn, sql, question="What is the number of miners at Leror Mine?")) == 1
