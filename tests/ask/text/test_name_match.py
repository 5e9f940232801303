"""Rows the question names outright come first, whatever the rankings say of a short question."""

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_llm.ask.text.name_match import (
    asks_only_about,
    longest_only,
    named_spans,
    normalise,
    question_phrases,
)


def test_normalise_treats_separators_alike():
    assert (
        normalise("Datasette-Lite") == normalise("datasette_lite") == normalise("Datasette  Lite") == "datasette lite"
    )


def test_question_phrases_skip_stop_words_and_short_runs():
    phrases = question_phrases("What is Datasette Lite?")
    assert {"datasette", "lite", "datasette lite", "is datasette lite"} <= set(phrases)
    assert "what is" not in phrases and "is" not in phrases


def test_longest_only_drops_names_inside_longer_ones():
    matches = {"datasette": (2, 3), "datasette lite": (2, 4), "lite": (3, 4), "llm": (6, 7)}
    assert longest_only(matches) == ["datasette lite", "llm"]


@pytest.mark.parametrize(
    ("question", "span", "expected"),
    [
        ("What is Datasette Lite?", (2, 4), True),
        ("What does ttok do?", (2, 3), True),
        ("What is files-to-prompt used for?", (2, 5), True),
        ("Tell me about shot scraper", (3, 5), True),
        ("Which plugin shows a map in datasette?", (6, 7), False),
        ("What is Datasette Lite's licence?", (2, 4), False),
        ("Who designed Lurow Bridge?", (2, 4), False),
    ],
)
def test_a_question_asks_only_about_what_it_names_when_no_other_word_asks_something(question, span, expected):
    assert asks_only_about(question, span) is expected


async def named_rows(*args, **kwargs) -> list[tuple]:
    """The keys named_spans finds, without their spans."""
    return [pk for pk, _ in await named_spans(*args, **kwargs)]


AS_ANYONE = {"allowed": {"repos", "numbered"}, "time_limit_ms": 1000}


@pytest.fixture
def ds(tmp_path):
    path = tmp_path / "named.db"
    db = sqlite_utils.Database(path)
    db["repos"].insert_all(
        [
            {"full_name": "simonw/datasette", "name": "datasette", "readme": "x"},
            {"full_name": "simonw/datasette-lite", "name": "datasette-lite", "readme": "x"},
            {"full_name": "simonw/what", "name": "what", "readme": "x"},
            {"full_name": "simonw/sqlite-utils", "name": "sqlite-utils", "readme": "x"},
        ],
        pk="full_name",
    )
    db["numbered"].insert_all([{"id": 420, "body": "four hundred and twenty"}], pk="id")
    db.close()
    return Datasette([str(path)])


@pytest.mark.asyncio
async def test_named_rows_match_label_column_longest_first(ds):
    db = ds.get_database("named")
    assert await named_rows(db, "repos", "What is Datasette Lite?", **AS_ANYONE) == [("simonw/datasette-lite",)]
    assert await named_spans(db, "repos", "What is Datasette Lite?", **AS_ANYONE) == [
        (("simonw/datasette-lite",), (2, 4))
    ]
    assert await named_rows(db, "repos", "Does sqlite_utils work with datasette?", **AS_ANYONE) == [
        ("simonw/sqlite-utils",),
        ("simonw/datasette",),
    ]
    assert await named_rows(db, "repos", "What is the weather?", **AS_ANYONE) == []  # "what" is a stop word, not a name
    assert await named_rows(db, "repos", "Tell me about simonw/datasette", **AS_ANYONE) == [("simonw/datasette",)]


@pytest.mark.asyncio
async def test_numeric_keys_are_not_names(ds):
    assert await named_rows(ds.get_database("named"), "numbered", "What is 420?", **AS_ANYONE) == []


@pytest.mark.asyncio
async def test_a_view_names_no_row(tmp_path):
    """Datasette 1.0a41's label_column_for_table raises on a view: every answer from text over an embedded view was
    a 500 (an outside tester, session 33). A view's rowid reads NULL, so no key names its rows."""
    path = tmp_path / "views.db"
    db = sqlite_utils.Database(path)
    db["repos"].insert_all([{"full_name": "simonw/datasette-lite", "name": "datasette-lite"}], pk="full_name")
    db.create_view("repos_v", "select full_name, name from repos")
    db.close()
    found = await named_rows(
        Datasette([str(path)]).get_database("views"),
        "repos_v",
        "What is Datasette Lite?",
        allowed={"repos", "repos_v"},
        time_limit_ms=1000,
    )
    assert found == []


@pytest.mark.asyncio
async def test_rows_not_read_in_time_name_nothing_and_fail_nothing(tmp_path):
    """A time limit reached while the names are compared was a 500 (an outside tester: 30,000 rows, 20 ms)."""
    path = tmp_path / "big.db"
    db = sqlite_utils.Database(path)
    db["repos"].insert_all(({"id": i, "name": f"tool number {i}"} for i in range(60_000)), pk="id")
    db.close()
    database = Datasette([str(path)]).get_database("big")
    question = "What is tool number 59999?"
    found = await named_rows(database, "repos", question, allowed={"repos"}, time_limit_ms=1000)
    assert found == [(59999,)]
    assert await named_rows(database, "repos", question, allowed={"repos"}, time_limit_ms=1) == []


@pytest.mark.asyncio
async def test_names_are_read_as_the_actor(ds):
    """A table the actor may not see (or one swapped for a view of such a table since it was chosen) names no row."""
    db = ds.get_database("named")
    assert await named_rows(db, "repos", "What is Datasette Lite?", allowed={"numbered"}, time_limit_ms=1000) == []
