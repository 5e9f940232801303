"""Routing on labelled questions: SQL for aggregates and filters, text for descriptive questions."""

import pytest

from datasette_llm.ask.route import choose_path
from datasette_llm.errors import BadRequest

pytestmark = pytest.mark.no_datasette

LABELLED = [
    ("Which five repos have the most releases?", "sql"),
    ("How many releases were published in 2024?", "sql"),
    ("What is the total number of releases per owner?", "sql"),
    ("List the repos owned by dogsheep", "sql"),
    ("Which repo had the earliest first release?", "sql"),
    ("Show the 10 latest releases", "sql"),
    ("What is the average number of releases per repo?", "sql"),
    ("How many repos does datasette own?", "sql"),
    ("Which artists have more than 10 albums?", "sql"),
    ("Who is the oldest employee?", "sql"),
    ("What is shot-scraper?", "text"),
    ("What does datasette-cluster-map do?", "text"),
    ("How do I install sqlite-utils?", "text"),
    ("Why would I use llm instead of the OpenAI API?", "text"),
    ("Explain what Datasette Lite is", "text"),
    ("Tell me about the dogsheep project", "text"),
    ("Which tool can take screenshots of web pages?", "text"),
    ("What is a tool for converting CSV files to SQLite?", "text"),
    ("Which tool converts CSV files into a SQLite database?", "text"),
    ("What plugin renders rows on a map?", "text"),
    ("Which plugin has the most releases?", "sql"),
    ("Which repos were created in 2023?", "sql"),
    ("Which of the 2024 releases added plugin hooks?", "both"),
    ("Which repos released since 2023 mention embeddings?", "both"),
]


@pytest.mark.parametrize("question,expected", LABELLED)
def test_labelled_questions(question, expected):
    assert choose_path(question, has_text_index=True).path == expected


def test_accuracy_on_the_labelled_set_is_reported():
    correct = sum(choose_path(q, has_text_index=True).path == e for q, e in LABELLED)
    assert correct == len(LABELLED)


def test_without_embeddings_everything_is_sql():
    route = choose_path("What is shot-scraper?", has_text_index=False)
    assert route.path == "sql" and "embeddings" in route.reason


def test_forced_paths():
    assert choose_path("How many?", has_text_index=True, forced="text").path == "text"
    assert choose_path("How many?", has_text_index=True, forced="text").forced
    assert choose_path("What is x?", has_text_index=True, forced="auto").path == "text"
    with pytest.raises(BadRequest):
        choose_path("x", has_text_index=True, forced="magic")
