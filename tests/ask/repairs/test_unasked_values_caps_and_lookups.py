"""Caps and row lookups of the unasked-value doubt (ask/repairs/unasked_values.py) no test pinned: at most 6 values
read per query, 3 rows per value, a cell counts only with 4 or more letters, a LIKE pattern looks rows up as a
pattern, only the compared column's own foreign key leads to another table, a value with no ASCII word is not asked
for by an empty word list. Written by an outside tester (attack57m) against mutants that survived the repo's tests."""

import asyncio
import sqlite3

import pytest
from sqlite_probe import SQLiteProbe

from datasette_llm.ask.repairs.unasked_values import unasked_values
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

# the caps as documented when this was written (not imported: a changed cap must fail here)
MAX_VALUES, ROWS_PER_VALUE, MIN_CELL_KEY = 6, 3, 4

COLUMNS = {
    "flights": ("id", "SourceAirport", "Airline"),
    "airlines": ("uid", "name"),
    "routes": ("rid", "SourceAirport"),
    "airports": ("AirportCode", "City"),
    "places": ("id", "code", "city"),
}


@pytest.fixture(scope="module")
def conn():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "create table flights (id integer primary key, SourceAirport text, Airline text);"
        "create table airlines (uid text, name text);"
        "create table routes (rid integer primary key, SourceAirport text);"
        "create table airports (AirportCode text, City text);"
        "create table places (id integer primary key, code text, city text);"
        "insert into flights (SourceAirport, Airline) values ('APG', 'UA'), ('KOR', 'UA');"
        # an airline and an airport that 'APG' would also name, reached only through other columns' keys
        "insert into airlines values ('APG', 'Aberdeen');"
        "insert into airports values ('APG', 'Aberdeen');"
        # code ZX: its 4th row names Berlin; code ZY: its 3rd row names Berlin; Ulm and Rome as short cells
        "insert into places (code, city) values ('ZX', 'Paris'), ('ZX', 'Paris'), ('ZX', 'Paris'), ('ZX', 'Berlin'),"
        " ('ZY', 'Paris'), ('ZY', 'Paris'), ('ZY', 'Berlin'), ('ZU', 'Ulm'), ('ZR', 'Rome'), ('ZK', 'Korea');"
    )
    return conn


def doubts(conn, sql, question, links=()):
    return asyncio.run(unasked_values(SQLiteProbe(conn), sql, question, COLUMNS, links))


def test_only_the_first_values_are_read():
    conn = sqlite3.connect(":memory:")
    conn.execute("create table places (id integer primary key, code text, city text)")
    values = [f"zq{k}" for k in range(1, MAX_VALUES + 2)]
    sql = f"SELECT id FROM places WHERE code IN ({', '.join(repr(v) for v in values)})"
    (doubt,) = doubts(conn, sql, "Which places?")
    assert all(repr(v) in doubt for v in values[:MAX_VALUES]) and repr(values[-1]) not in doubt


def test_a_value_is_looked_up_in_its_first_rows_only(conn):
    question = "Which places are in Berlin?"
    assert doubts(conn, "SELECT id FROM places WHERE code = 'ZY'", question) == []  # the 3rd row names Berlin
    assert doubts(conn, "SELECT id FROM places WHERE code = 'ZX'", question) != []  # only the 4th does


def test_a_cell_counts_from_four_letters(conn):
    assert doubts(conn, "SELECT id FROM places WHERE code = 'ZR'", "Which places are in Rome?") == []
    assert doubts(conn, "SELECT id FROM places WHERE code = 'ZU'", "Which places are in Ulm?") != []


def test_a_like_pattern_looks_its_rows_up_as_a_pattern(conn):
    assert doubts(conn, "SELECT id FROM places WHERE code LIKE 'ZK%'", "Which places are in Korea?") == []


def test_only_the_compared_columns_own_key_leads_elsewhere(conn):
    links = (Link("flights", "Airline", "airlines", "uid"), Link("routes", "SourceAirport", "airports", "AirportCode"))
    (doubt,) = doubts(conn, "SELECT id FROM flights WHERE SourceAirport = 'APG'", "Flights from Aberdeen?", links)
    assert "'APG'" in doubt


def test_a_value_without_an_ascii_word_is_not_taken_as_asked(conn):
    assert doubts(conn, "SELECT id FROM places WHERE city = '東京'", "Which places are in Osaka?") != []


class FailingProbe:
    async def rows(self, sql, limit):
        from datasette_llm.sql.failures import QueryFailed

        raise QueryFailed("no such table")


def test_no_doubt_is_an_empty_list_whatever_stops_the_reading(conn):
    assert doubts(conn, "SELECT FROM WHERE", "Which places?") == []  # not SQL
    assert doubts(conn, "SELECT id FROM places WHERE nosuch = 'zq'", "Which places?") == []  # no table has it
    failed = asyncio.run(unasked_values(FailingProbe(), "SELECT id FROM places WHERE code = 'zq'", "Which?", COLUMNS))
    assert failed == []
