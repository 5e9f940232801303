"""Values in a query that the question never mentions are a doubt; values it names, or reaches through their
rows, are not."""

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_llm.ask.repairs.unasked_values import spelt_in, unasked_values
from datasette_llm.ask.repairs.value_hints import Probe
from datasette_llm.sql.join_links import Link

COLUMNS = {
    "airports": ("code", "city"),
    "flights": ("no", "source", "airline"),
    "airlines": ("abbreviation", "name"),
    "paragraphs": ("id", "text", "semester"),
}
LINKS = (Link("flights", "source", "airports", "code"),)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "travel.db"
    data = sqlite_utils.Database(path)
    data["airports"].insert({"code": "APG", "city": "Aberdeen "}, pk="code")
    data["flights"].insert({"no": 1, "source": " APG", "airline": "UAL"}, pk="no")  # padded, as in flight_2
    data["airlines"].insert({"abbreviation": "UAL", "name": "United Airlines"}, pk="abbreviation")
    data["paragraphs"].insert_all([{"id": 1, "text": "Korea", "semester": "spring 2010"}], pk="id")
    data.close()
    return Datasette([str(path)]).get_database("travel")


async def doubts(db, sql, question, offered=()):
    return await unasked_values(Probe(db, set(COLUMNS), 1000), sql, question, COLUMNS, LINKS, offered=offered)


@pytest.mark.asyncio
async def test_a_value_the_question_never_mentions_is_a_doubt(db):
    assert await doubts(
        db, "SELECT id FROM paragraphs WHERE text LIKE 'Korea%' OR text = 'Somalia'", "Which paragraphs are there?"
    ) == [
        "the question does not mention 'Korea%' and 'Somalia': a condition it does not ask for answers a narrower "
        "question"
    ]


@pytest.mark.asyncio
async def test_values_the_question_names_or_reaches_through_their_rows_are_asked_for(db):
    for sql, question in [
        ("SELECT id FROM paragraphs WHERE text = 'korea'", "Paragraphs about KOREA?"),
        ("SELECT id FROM paragraphs WHERE semester = 'spring 2010'", "Paragraphs of the spring of 2010?"),
        ("SELECT no FROM flights WHERE source = ' APG'", "Flights from Aberdeen?"),  # the airport it references
        ("SELECT name FROM airlines WHERE abbreviation = 'UAL'", "Is United Airlines listed?"),  # its own row
    ]:
        assert await doubts(db, sql, question) == [], sql
    # flights.airline is no foreign key and its row names no airline: 'UAL' stays unexplained
    assert len(await doubts(db, "SELECT no FROM flights WHERE airline IN ('UAL')", "Flights of United Airlines?")) == 1
    assert await doubts(db, "SELECT id FROM paragraphs WHERE text = 'Korea'", "Which text?", offered={"Korea"}) == []
    # an offered value beside one the question spells is an extra, not the question's
    assert (
        len(
            await doubts(
                db,
                "SELECT id FROM paragraphs WHERE text IN ('Korea', 'Brazil')",
                "Korea texts?",
                offered={"Korea", "Brazil"},
            )
        )
        == 1
    )
    assert await doubts(db, "SELECT id FROM paragraphs WHERE", "Which?") == []  # does not parse: no doubt


def test_spelling_counts_apart_from_case_spaces_and_word_endings():
    assert spelt_in("NorthCarolina", "students in North Carolina")
    assert spelt_in("%Hey%", "songs with 'hey' in the name")
    assert spelt_in("Enrolment", "students enrolled")
    assert not spelt_in("Master", "students in 2 degree programs")


@pytest.mark.asyncio
async def test_spider_gold_values_are_asked_for_but_a_demonym_and_a_country_code():
    from schema_helpers import SPIDER, spider_gold

    from datasette_llm.ask.schema_tables import load_tables
    from datasette_llm.sql.join_links import foreign_links

    if not spider_gold():
        pytest.skip("Spider dev set not available")
    flagged = []
    for db_id in sorted({item["db_id"] for item in spider_gold()}):
        datasette = Datasette([str(SPIDER / "database" / db_id / f"{db_id}.sqlite")])
        tables = await load_tables(datasette, db_id, None)
        probe_db, allowed = datasette.get_database(db_id), {t.name for t in tables}
        columns, links = {t.name: t.columns for t in tables}, foreign_links(tables)
        for item in (i for i in spider_gold() if i["db_id"] == db_id):
            if await unasked_values(
                Probe(probe_db, allowed, 5000), item["query"].replace('"', "'"), item["question"], columns, links
            ):
                flagged.append(item["question"])
    # Known limits, not hidden: 'France' for "French" and 'usa' for "the United States" are not recognised.
    assert sorted(flagged) == [
        "What is the average, minimum, and maximum age for all French singers?",
        "What is the count of the car models produced in the United States?",
    ]
