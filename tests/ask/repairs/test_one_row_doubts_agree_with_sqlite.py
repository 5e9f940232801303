"""Two conditions on one column (logic_checks/one_row.impossible_or_redundant), every pair of operators and values,
against SQLite itself: "can never hold" is said only of pairs no row meets, "changes nothing" only of a `!=` that
leaves the rows as they were. An outside tester (session 56) found `year >= 2014 AND year <= 2014` called impossible
(the rows of 2014 meet it), `year = 2014 AND year = 2014.0` too, and `kind = 'dog' AND kind != 'dog'` said to
change nothing (it leaves every row out)."""

import itertools
import sqlite3

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

OPERATORS = ["=", "!=", "<", "<=", ">", ">="]
NUMBERS = ["2013", "2014", "2014.0", "2015"]
TEXTS = ["'dog'", "'cat'"]
# every value a condition above can keep or leave out, and those between
STORED_NUMBERS = [2012, 2013, 2013.5, 2014, 2014.5, 2015, 2016]
STORED_TEXTS = ["cat", "dog", "eel", "ant"]


@pytest.fixture(scope="module")
def conn():
    conn = sqlite3.connect(":memory:")
    conn.execute("create table films (id integer primary key, year integer, kind text)")
    conn.executemany("insert into films (year) values (?)", [(n,) for n in STORED_NUMBERS])
    conn.executemany("insert into films (kind) values (?)", [(t,) for t in STORED_TEXTS])
    yield conn
    conn.close()


def pairs():
    for column, values in (("year", NUMBERS), ("kind", TEXTS)):
        for (op1, v1), (op2, v2) in itertools.combinations(itertools.product(OPERATORS, values), 2):
            if column == "kind" and {op1, op2} - {"=", "!="}:
                continue
            yield f"{column} {op1} {v1}", f"{column} {op2} {v2}"


@pytest.mark.parametrize(("first", "second"), list(pairs()))
def test_what_is_said_of_two_conditions_is_what_sqlite_does(conn, first, second):
    sql = f"SELECT id FROM films WHERE {first} AND {second}"
    # The columns' declared types, as the pipeline gives them (session 57: without them, bounds and equalities
    # SQLite reads by the column's affinity were called impossible); without them, nothing SQLite contradicts.
    untyped = logic_doubts(sql, "Which films?", {"films": ("id", "year", "kind")}, ())
    types = {"films": ("INTEGER", "INTEGER", "TEXT")}
    found = logic_doubts(sql, "Which films?", {"films": ("id", "year", "kind")}, (), types=types)
    both = conn.execute(sql).fetchall()
    if any("can never hold" in d for d in found + untyped):
        assert both == [], (sql, found, untyped)
    for doubt in (d for d in found if "changes nothing" in d):
        unequal = first if "!=" in first else second
        kept = second if unequal is first else first
        assert doubt.startswith(unequal.replace("!=", "<>")) or doubt.startswith(unequal), doubt
        alone = conn.execute(f"SELECT id FROM films WHERE {kept}").fetchall()
        assert both == alone, (sql, found)
    # and the other way: two equalities, or two bounds, no stored row meets are said never to hold
    equalities = first.split()[1] == second.split()[1] == "="
    bounds = {first.split()[1], second.split()[1]} <= {"<", "<=", ">", ">="}
    opposite = ("<" in first) != ("<" in second)
    if both == [] and (equalities or (bounds and opposite)):
        assert any("can never hold" in d for d in found), (sql, found)
