"""Rows the question names outright come first, whatever the rankings say of a short question."""

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_llm.ask.text.name_match import longest_only, named_rows, normalise, question_phrases


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
    assert await named_rows(db, "repos", "What is Datasette Lite?") == [("simonw/datasette-lite",)]
    assert await named_rows(db, "repos", "Does sqlite_utils work with datasette?") == [
        ("simonw/sqlite-utils",),
        ("simonw/datasette",),
    ]
    assert await named_rows(db, "repos", "What is the weather?") == []  # "what" is a stop word, not a name
    assert await named_rows(db, "repos", "Tell me about simonw/datasette") == [("simonw/datasette",)]


@pytest.mark.asyncio
async def test_numeric_keys_are_not_names(ds):
    assert await named_rows(ds.get_database("named"), "numbered", "What is 420?") == []
