"""Names compared with foreign-key columns are looked up through the table the key references."""

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_llm.ask.repairs.key_literals import mend_key_literals
from datasette_llm.ask.repairs.value_hints import Probe
from datasette_llm.sql.join_links import Link

COLUMNS = {
    "continents": ("id", "name", "code"),
    "countries": ("id", "name", "continent_id"),
    "makers": ("id", "short", "full_name"),
}
LINKS = (Link("countries", "continent_id", "continents", "id"),)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "world.db"
    data = sqlite_utils.Database(path)
    data["continents"].insert_all(
        [
            {"id": 1, "name": "europe", "code": "EU"},
            {"id": 2, "name": "asia", "code": "AS"},
            {"id": 3, "name": "Euro", "code": "euro"},
        ],
        pk="id",
    )
    data["countries"].insert_all(
        [{"id": 1, "name": "france", "continent_id": 1}, {"id": 2, "name": "japan", "continent_id": 2}],
        pk="id",
        foreign_keys=[("continent_id", "continents", "id")],
    )
    data.close()
    return Datasette([str(path)]).get_database("world")


async def mend(db, sql):
    return await mend_key_literals(Probe(db, set(COLUMNS), 1000), sql, COLUMNS, LINKS)


@pytest.mark.asyncio
async def test_a_name_compared_with_a_key_goes_through_the_referenced_table(db):
    assert await mend(db, "SELECT name FROM countries WHERE continent_id = 'Europe'") == (
        "SELECT name FROM countries WHERE continent_id IN (SELECT id FROM continents WHERE name = 'europe')",
        (
            "continent_id = 'Europe' → continent_id IN (SELECT id FROM continents WHERE name = 'europe') "
            "(countries.continent_id holds continents ids, not names)",
        ),
    )
    sql, _ = await mend(db, "SELECT c.name FROM countries AS c WHERE c.continent_id <> 'asia'")
    assert sql == (
        "SELECT c.name FROM countries AS c WHERE NOT c.continent_id IN "
        "(SELECT id FROM continents WHERE name = 'asia' AND NOT id IS NULL)"
    )
    sql, _ = await mend(db, "SELECT name FROM countries WHERE continent_id IN ('asia', 'europe')")
    assert sql.endswith("continent_id IN (SELECT id FROM continents WHERE name IN ('asia', 'europe'))")
    sql, changes = await mend(db, "SELECT name FROM countries WHERE NOT continent_id IN ('EU')")
    assert sql.endswith("NOT continent_id IN (SELECT id FROM continents WHERE code = 'EU' AND NOT id IS NULL)")
    assert changes[0].startswith("NOT continent_id IN ('EU') → NOT continent_id IN (SELECT id")


@pytest.mark.asyncio
async def test_comparisons_that_mean_what_they_say_or_cannot_be_placed_are_left_alone(db):
    for sql in (
        "SELECT name FROM countries WHERE continent_id = '1'",  # a number: an id as written
        "SELECT name FROM countries WHERE continent_id = 1",
        "SELECT name FROM countries WHERE name = 'europe'",  # not a key column
        "SELECT name FROM countries WHERE continent_id = 'atlantis'",  # stored nowhere
        "SELECT name FROM countries WHERE continent_id IN (SELECT id FROM continents)",
        "SELECT name FROM countries WHERE continent_id = 'EURO'",  # two columns hold it, neither as written
        "SELECT name FROM countries WHERE",
    ):  # does not parse
        assert await mend(db, sql) is None, sql
    # two columns hold it apart from case; the one that stores it exactly as written is taken
    sql, _ = await mend(db, "SELECT name FROM countries WHERE continent_id = 'Euro'")
    assert sql.endswith("(SELECT id FROM continents WHERE name = 'Euro')")


@pytest.mark.asyncio
async def test_a_literal_stored_in_the_key_column_itself_is_left_alone(tmp_path):
    path = tmp_path / "codes.db"
    data = sqlite_utils.Database(path)
    data["airports"].insert({"code": "APG", "city": "APG"}, pk="code")
    data["flights"].insert({"no": 1, "source": "APG"}, pk="no", foreign_keys=[("source", "airports", "code")])
    data.close()
    db = Datasette([str(path)]).get_database("codes")
    columns = {"airports": ("code", "city"), "flights": ("no", "source")}
    links = (Link("flights", "source", "airports", "code"),)
    assert (
        await mend_key_literals(
            Probe(db, set(columns), 1000), "SELECT no FROM flights WHERE source = 'APG'", columns, links
        )
        is None
    )
