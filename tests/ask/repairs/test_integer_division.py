"""A division of two integers in what the query shows that dropped a fraction (ask/repairs/integer_division.py).

The oracle of the generated test is Python's arithmetic on the rows the query reads, each value read as SQLite's
arithmetic reads it (text as the number it starts with, else 0): a fraction is dropped where a row divides an int
by a non-zero int that does not divide it. (Text that reads as an integer is divided as one: the first version of
the probe looked at the operands' own types and missed `'7' / 3`, which this oracle found.)
"""

import re
import sqlite3

import pytest
from ask_helpers import ScriptedModel, probed, sql_reply
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_helpers import spider_gold, spider_probes

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.integer_division import integer_divisions, plan

# 13 of 59 customers in the USA: 13 * 100 / 59 is 22 in SQLite, 22.03... in fact
CUSTOMERS = [(n, "USA" if n <= 13 else "Other", n % 4, 2.5) for n in range(1, 60)]


def _database(path, rows=CUSTOMERS):
    conn = sqlite3.connect(path)
    conn.execute("create table customers (id integer primary key, country text, visits, price real)")
    conn.executemany("insert into customers values (?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def customers_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("division") / "customers.db")


def doubts(path, sql, allowed=("customers",)):
    return probed(path, allowed, integer_divisions, sql)


SHARE = "select count(*) * 100 / (select count(*) from customers) from customers where country = 'USA'"


@pytest.mark.parametrize(
    "sql, doubted",
    [
        (SHARE, ["COUNT(*) * 100 / (SELECT COUNT(*) FROM customers)"]),
        ("select count(*) / (select count(*) from customers) * 100 from customers where country = 'USA'", 1),
        ("select round(sum(visits) / count(*), 2) from customers", ["SUM(visits) / COUNT(*)"]),
        ("select country, sum(visits) / count(*) as mean from customers group by country", ["SUM(visits) / COUNT(*)"]),
        ("select count(*) * 100.0 / (select count(*) from customers) from customers where country = 'USA'", []),
        ("select cast(count(*) as real) / 59 from customers where country = 'USA'", []),
        ("select count(*) * 1.0 / 59 * 100 from customers", []),
        ("select sum(price) / count(*) from customers", []),  # a REAL divided
        ("select count(*) / 59 from customers", []),  # 59 / 59: nothing dropped
        ("select visits / 1 from customers", []),
        ("select visits / 0 from customers", []),  # NULL in SQLite: no fraction to drop
        ("select avg(visits / 2) from customers", []),  # inside an aggregate: not the rows shown
        ("select id from customers where visits / 2 = 1", []),  # not shown
        ("select visits / 2 from customers where visits % 2 = 0", []),
        ("select visits / 2 from customers where visits = 3", ["visits / 2"]),
        ("select visits / 2 from customers where visits = 3 limit 0", []),  # no row shown
        ("select (select count(*) / 7 from customers)", []),  # inside a subquery: its own SELECT
        ("select 'a' || (visits / 2) from customers", ["visits / 2"]),
    ],
)
def test_only_divisions_that_dropped_a_fraction_in_a_shown_row_are_doubted(customers_db, sql, doubted):
    found = doubts(customers_db, sql)
    if isinstance(doubted, int):
        assert len(found) == doubted, found
    else:
        assert [d.split(" divides an integer", 1)[0] for d in found] == doubted, found


def test_the_doubt_says_what_sqlite_did_and_the_division_to_write(customers_db):
    (doubt,) = doubts(customers_db, SHARE)
    assert doubt == (
        "COUNT(*) * 100 / (SELECT COUNT(*) FROM customers) divides an integer by an integer, and SQLite then drops "
        "the fraction (7 / 2 is 3): in rows shown it did. To keep it, write CAST(COUNT(*) * 100 AS REAL) / (SELECT "
        "COUNT(*) FROM customers)"
    )
    (mixed,) = doubts(customers_db, "select (visits + 1) / (id - visits) from customers where id = 6")
    assert mixed.endswith("write CAST((visits + 1) AS REAL) / (id - visits)"), mixed  # the operands' parentheses


def _as_sqlite_number(value):
    """What SQLite's arithmetic reads a value as: text as the number it starts with, else 0 (no NULL changes)."""
    if not isinstance(value, str):
        return value
    match = re.match(r"\s*([+-]?\d+)(\.\d*)?", value)
    if match is None:
        return 0
    return float(match.group(0)) if match.group(2) else int(match.group(1))


VALUES = st.one_of(
    st.none(), st.integers(-9, 9), st.sampled_from([0.5, 2.0, -3.25]), st.sampled_from(["7", "x", "2.5", " 12"])
)


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(VALUES, VALUES), max_size=8), scale=st.sampled_from(["", " * 100"]))
def test_doubts_match_the_fractions_pythons_arithmetic_drops(tmp_path_factory, rows, scale):
    path = tmp_path_factory.mktemp("generated") / "pairs.db"
    conn = sqlite3.connect(path)
    conn.execute("create table pairs (a, b)")  # no declared type: each value keeps its own
    conn.executemany("insert into pairs values (?, ?)", rows)
    conn.commit()
    conn.close()
    factor = 100 if scale else 1
    expected = False
    for a, b in map(lambda row: [_as_sqlite_number(value) for value in row], rows):
        if isinstance(a, int) and isinstance(b, int) and b != 0 and (a * factor) % b != 0:
            expected = True
    found = doubts(path, f"select a{scale} / b from pairs", allowed=("pairs",))
    assert bool(found) == expected, rows


def test_a_probe_that_fails_raises_no_doubt(customers_db):
    assert doubts(customers_db, SHARE, allowed=("other",)) == []  # customers not allowed: the guard refuses it
    assert doubts(customers_db, "select visits / 2 from nowhere") == []
    assert doubts(customers_db, "SELECT FROM WHERE") == []


def test_hostile_and_malformed_sql_never_breaks_the_plan():
    from hostile_sql import HOSTILE_SQL

    for _, sql, _ in HOSTILE_SQL:
        planned = plan(sql)
        assert planned is None or planned[0].startswith("SELECT MAX("), sql


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
@pytest.mark.asyncio
async def test_no_spider_gold_query_shows_a_division_that_drops_a_fraction():
    flagged = []
    for probe, item, _ in await spider_probes():
        if await integer_divisions(probe, item["query"]):
            flagged.append(item["query"])
    assert flagged == []


QUESTION = "What percentage of customers are from the USA?"
FIXED = "select count(*) * 100.0 / (select count(*) from customers) from customers where country = 'USA'"


@pytest.mark.asyncio
async def test_the_model_is_asked_once_and_a_kept_division_runs_with_a_warning(customers_db):
    model = ScriptedModel([sql_reply(SHARE), sql_reply(FIXED), "22.03% of customers are from the USA."])
    result = await ask(Datasette([str(customers_db)]), "customers", QUESTION, model=model)
    assert [a.error_kind for a in result.attempts] == ["doubtful_logic", None]
    assert "CAST(COUNT(*) * 100 AS REAL)" in model.calls[1][-1]["content"]  # what was sent back says what to write
    assert result.rows[0][0] == pytest.approx(1300 / 59)
    assert not any(note.startswith("warning") for note in result.notes)
    model = ScriptedModel([sql_reply(SHARE), sql_reply(SHARE), "22% of customers are from the USA."])
    result = await ask(Datasette([str(customers_db)]), "customers", QUESTION, model=model)
    assert result.rows == ((22,),) or list(result.rows) == [(22,)]
    assert any(note.startswith("warning: COUNT(*) * 100 / (SELECT") for note in result.notes), result.notes
