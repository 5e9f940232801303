"""Columns of the wrong table (logic_checks/wrong_column.py) are doubted only in their own cases:
- ids of different tables: not for ON equalities (left to the off-key check: one doubt, not two), and table names
  compared without regard to case (mutants G02, G03);
- the outer query's row: not for a column qualified on purpose (`T1.id` inside EXISTS) nor for a name no table
  has, such as a CTE's column (mutants G06, G07);
- a named column left out: not when two tables have that name, when its table is in the query, when the query
  reads that name (mutants G08, G09, G10); the join offered is the
  column's own foreign key, not another key to the same table (mutant G16);
- ids shown for names: not when the foreign key has the name of the column it references (mutant G18).
No test had these (outside tester, session 56).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

SHIPS = {"battle": ("id", "name"), "ship": ("id", "lost_in_battle"), "death": ("id", "caused_by_ship_id")}
SHIP_LINKS = (Link("ship", "lost_in_battle", "battle", "id"), Link("death", "caused_by_ship_id", "ship", "id"))
FLIGHTS = {
    "flights": ("Airline", "FlightNo", "SourceAirport", "DestAirport", "SourceId"),
    "airlines": ("uid", "Airline", "Country"),
    "airports": ("AirportCode", "City"),
}
FLIGHT_LINKS = (
    Link("flights", "DestAirport", "airports", "AirportCode"),
    Link("flights", "SourceAirport", "airports", "AirportCode"),
    Link("flights", "Airline", "airlines", "uid"),
)


def test_an_off_key_on_clause_gets_one_doubt():
    sql = "SELECT b.name FROM battle AS b JOIN death AS d ON d.caused_by_ship_id = b.id"
    found = logic_doubts(sql, "Battles with deaths?", SHIPS, SHIP_LINKS)
    assert len(found) == 1 and found[0].startswith(
        "ON d.caused_by_ship_id = b.id compares death.caused_by_ship_id with battle.id, which no foreign key links"
    )


def test_ids_of_one_table_named_in_two_cases_are_the_same_ids():
    links = (Link("death", "caused_by_ship_id", "Ship", "id"),)
    sql = "SELECT id FROM ship WHERE id IN (SELECT caused_by_ship_id FROM death)"
    assert logic_doubts(sql, "Ships that caused deaths?", SHIPS, links) == []


def test_an_outer_column_qualified_on_purpose_is_left_alone():
    sql = "SELECT T1.name FROM battle AS T1 WHERE EXISTS (SELECT T1.name FROM ship WHERE ship.lost_in_battle = T1.id)"
    assert logic_doubts(sql, "Battles that lost a ship?", SHIPS, SHIP_LINKS) == []


def test_a_name_no_table_has_is_left_alone():
    sql = "WITH c AS (SELECT 1 AS k) SELECT (SELECT k FROM ship LIMIT 1) FROM c"
    assert logic_doubts(sql, "?", SHIPS, SHIP_LINKS) == []


def named(sql, question="Which city is the most frequent source airport?", columns=FLIGHTS):
    return [d for d in logic_doubts(sql, question, columns, FLIGHT_LINKS) if d.startswith("the question names")]


def test_the_join_offered_is_the_named_columns_own_key():
    (found,) = named("SELECT City FROM airports GROUP BY City ORDER BY COUNT(*) DESC LIMIT 1")
    assert found.endswith("(join through flights.SourceAirport = airports.AirportCode)")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT T1.City FROM airports AS T1 JOIN flights AS T2 ON T1.AirportCode = T2.DestAirport",
        "SELECT City AS SourceAirport FROM airports ORDER BY SourceAirport",
    ],
)
def test_a_named_column_whose_table_or_name_the_query_reads_is_left_alone(sql):
    assert named(sql) == []


def test_a_name_two_tables_have_is_left_alone():
    columns = {**FLIGHTS, "routes": ("SourceAirport", "km")}
    assert named("SELECT City FROM airports", columns=columns) == []


def test_a_foreign_key_named_like_the_column_it_references_shows_no_names_for_ids():
    columns = {"flights": ("uid", "FlightNo"), "airlines": ("uid", "Airline")}
    links = (Link("flights", "uid", "airlines", "uid"),)
    assert logic_doubts("SELECT uid FROM flights GROUP BY uid", "Which airlines?", columns, links) == []
