"""Foreign keys a database does not declare, found from names and confirmed by the data."""

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.implicit_keys import implicit_links
from datasette_llm.ask.repairs.value_hints import Probe
from datasette_llm.ask.schema import load_tables
from datasette_llm.sql.join_links import Link, foreign_links


@pytest.fixture
def flights_path(tmp_path):
    """flight_2's shape: flights.Airline holds airlines.uid, undeclared; the airports link is declared."""
    path = tmp_path / "flights.db"
    db = sqlite_utils.Database(path)
    db["airlines"].insert_all([{"uid": 1, "Airline": "JetBlue Airways"}, {"uid": 2, "Airline": "United"}], pk="uid")
    db["airports"].insert({"AirportCode": "APG", "City": "Aberdeen"}, pk="AirportCode")
    db["flights"].insert_all(
        [{"FlightNo": n, "Airline": 1 + n % 2, "Source": "APG"} for n in range(5)],
        pk="FlightNo",
        foreign_keys=[("Source", "airports", "AirportCode")],
    )
    db["notes"].insert_all([{"id": 1, "airline": 7, "uid": 1}], pk="id")  # 7 is no airline: not a link
    db["crews"].insert_all([{"id": 1, "airlines_id": None}], pk="id")  # holds nothing: not a link
    db.close()
    return path


async def links_of(path):
    datasette = Datasette([str(path)])
    name = path.stem
    tables = await load_tables(datasette, name, None)
    declared = foreign_links(tables)
    return declared, await implicit_links(
        Probe(datasette.get_database(name), {t.name for t in tables}, 1000), tables, declared
    )


@pytest.mark.asyncio
async def test_a_column_named_after_a_table_whose_values_are_its_keys_is_a_link(flights_path):
    declared, found = await links_of(flights_path)
    assert declared == (Link("flights", "Source", "airports", "AirportCode"),)
    assert found == (Link("flights", "Airline", "airlines", "uid"),)  # not notes.airline (a stray value), not
    # notes.uid (a generic key name), not crews.airlines_id (no value), not the declared Source again


@pytest.mark.asyncio
async def test_a_name_compared_with_an_undeclared_key_is_looked_up_too(flights_path):
    model = ScriptedModel([sql_reply("select count(*) from flights where Airline = 'JetBlue Airways'"), "3."])
    result = await ask(Datasette([str(flights_path)]), "flights", "How many JetBlue Airways flights?", model=model)
    assert result.rows == ((3,),) and len(result.attempts) == 1  # flights 0, 2 and 4
    assert result.attempts[0].fixes == (
        "Airline = 'JetBlue Airways' → Airline IN (SELECT uid FROM airlines WHERE Airline = 'JetBlue Airways') "
        "(flights.Airline holds airlines ids, not names)",
    )
