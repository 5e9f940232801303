"""The value hints' lookups (ask/repairs/value_hints.py) as the repo's tests did not pin them: a literal that is
stored gives no hint, values the question spells come first, the LIKE matches are kept, a literal of punctuation
alone is looked up nowhere, the query's own tables are searched before the others and the others only when they
hold nothing, and the caps (4 literals, 3 other columns, 60 probes). Written by an outside tester (attack57m) against
mutants that survived; each probe runs on SQLite through a stand-in for the guarded Probe."""

import asyncio
import sqlite3

import pytest
from sqlite_probe import SQLiteProbe

from datasette_llm.ask.repairs.value_hints import ValueHint, literal_comparisons, value_hints
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

MAX_LITERALS, MAX_ELSEWHERE, MAX_ELSEWHERE_PROBES = 4, 3, 60  # as documented (not imported: a change must fail here)
WIDE = tuple(f"c{i}" for i in range(1, MAX_ELSEWHERE_PROBES + 2))


class FailingProbe:
    async def values(self, sql, limit):
        raise QueryFailed("no such table")


@pytest.fixture(scope="module")
def conn():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "create table cars (id integer primary key, model text, note text);"
        "insert into cars (model, note) values ('amc hornet', ''), ('amc hornet x', '-'),"
        " ('amc hornet sportabout (sw)', 'zq'), ('ford', 'stored both');"
        "create table makers (id integer primary key, name text, city text, label text, alias text);"
        "insert into makers (name, city, label, alias) values"
        " ('De-troit', 'detroit', 'DETROIT', 'Detroit'), ('x', 'stored both', 'y', 'z'), ('x2', 'amc', 'y2', 'z2');"
        f"create table wide ({', '.join(WIDE)});"
        f"insert into wide values ({', '.join('?' * len(WIDE))});"
    )
    # wide.cK holds 'wideK' only (one row), so a literal is found exactly where the test put it
    conn.execute(
        f"update wide set {', '.join(f'{c} = ?' for c in WIDE)}", [f"wide{i}" for i in range(1, len(WIDE) + 1)]
    )
    return conn


TABLES = {"cars": ("id", "model", "note")}
OTHER = {"makers": ("id", "name", "city", "label", "alias")}


def hints(conn, sql, tables=TABLES, other=OTHER, question="", links=()):
    return asyncio.run(
        value_hints(
            None,
            sql,
            tables,
            allowed=set(),
            time_limit_ms=1000,
            other_tables=other,
            question=question,
            links=links,
            probe=conn if isinstance(conn, FailingProbe) else SQLiteProbe(conn),
        )
    )


def test_at_most_four_literals_are_read():
    sql = "SELECT * FROM t WHERE a IN ('v1', 'v2', 'v3', 'v4', 'v5')"
    assert [literal for _, literal in literal_comparisons(sql)] == ["v1", "v2", "v3", "v4"]


def test_a_function_of_a_column_is_no_column_compared():
    assert literal_comparisons("SELECT * FROM t WHERE lower(a) = 'x'") == []


def test_a_stored_literal_gives_no_hint(conn):
    assert hints(conn, "SELECT id FROM cars WHERE model = 'ford' AND id = 99") == []


def test_values_the_question_spells_come_first_and_the_like_matches_are_kept(conn):
    (hint,) = hints(conn, "SELECT id FROM cars WHERE model = 'hornet'", question="amc hornet sportabout (sw)?")
    assert hint.values == ("amc hornet sportabout (sw)", "amc hornet", "amc hornet x")


def test_a_literal_of_punctuation_alone_is_looked_up_nowhere(conn):
    # its spelling key is empty: cells that are blank or '-' would match the squashed comparison
    assert hints(conn, "SELECT id FROM cars WHERE model = '?!'") == []
    assert hints(conn, "SELECT id FROM cars WHERE model LIKE '%'") == []


def test_the_querys_tables_are_searched_first_and_the_others_only_when_they_hold_nothing(conn):
    (hint,) = hints(conn, "SELECT id FROM cars WHERE model = 'stored both'")
    assert hint.elsewhere == ("cars.note",)  # makers.city holds it too, but cars is the query's
    (hint,) = hints(conn, "SELECT id FROM cars WHERE model = 'Detroit'")
    assert len(hint.elsewhere) == MAX_ELSEWHERE  # four columns of makers hold it


def test_the_other_tables_are_probed_up_to_the_cap(conn):
    tables, other = {"cars": ("model",)}, {"wide": WIDE}
    (hint,) = hints(conn, f"SELECT 1 FROM cars WHERE model = 'wide{MAX_ELSEWHERE_PROBES}'", tables, other)
    assert hint.elsewhere == (f"wide.c{MAX_ELSEWHERE_PROBES}",)
    assert hints(conn, f"SELECT 1 FROM cars WHERE model = 'wide{MAX_ELSEWHERE_PROBES + 1}'", tables, other) == []


def test_no_hint_is_an_empty_list_whatever_stops_the_reading(conn):
    assert hints(conn, "SELECT FROM WHERE") == []  # not SQL
    assert hints(conn, "SELECT id FROM cars WHERE nosuch = 'x'") == []  # no table of the query has the column
    assert hints(FailingProbe(), "SELECT id FROM cars WHERE model = 'x'") == []  # the probe failed


def test_a_stored_literal_is_not_said_to_be_elsewhere(conn):
    # 'stored both' is a value of cars.note (and of makers.city): comparing note with it is not the problem
    assert hints(conn, "SELECT id FROM cars WHERE note = 'stored both' AND id = 99") == []


def test_a_near_spelling_is_offered_when_nothing_contains_the_literal(conn):
    (hint,) = hints(conn, "SELECT id FROM cars WHERE model = 'frod'")
    assert hint.values == ("ford",)


def test_a_value_the_question_spells_inside_the_literal_is_offered(conn):
    sql = "SELECT id FROM cars WHERE model = 'amc hornet sportabout (sw) extra'"
    (hint,) = hints(conn, sql, question="the amc hornet and the amc hornet sportabout (sw)")
    assert "amc hornet" in hint.values


def test_the_route_to_the_other_table_is_given(conn):
    (hint,) = hints(conn, "SELECT id FROM cars WHERE model = 'Detroit'", links=(Link("cars", "id", "makers", "id"),))
    assert hint.route == ("cars.id = makers.id",)


def test_the_message_shows_five_values():
    message = ValueHint("x", "t", "c", tuple(f"v{i}" for i in range(1, 7))).message()
    assert "'v5'" in message and "'v6'" not in message


def test_a_literal_with_close_values_gets_one_hint_not_also_its_other_columns(conn):
    # makers.city stores 'amc' exactly, but cars.model has values like it: those are the hint
    (hint,) = hints(conn, "SELECT id FROM cars WHERE model = 'amc'")
    assert hint.values and not hint.elsewhere
