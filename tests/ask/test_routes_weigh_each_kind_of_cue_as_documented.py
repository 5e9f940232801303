"""Each kind of cue weighs as ask/route.py says, on questions that only that rule decides: counts, aggregates,
rankings and grouping make a question SQL even when it asks about text; dates, filters and ordering by date with a
question about text content make it both; "how long" and "how often" are measurements, not "how / why"; "count"
alone is a count; a question with no cue is SQL; a question about the number, total or average is no "what is"
question. The route's reason and cues are shown with every answer, so they are checked too (tests/ask/test_route.py
measures labelled questions; an outside tester's gaps R04-R12 and R16, session 56)."""

import pytest

from datasette_llm.ask.route import ASK_MODES, PATHS, choose_path

pytestmark = pytest.mark.no_datasette

DECIDED = [
    # grouping, rankings: strong even beside dates and a question about text content
    ("Which plugins released since 2023 per owner mention maps?", "sql"),
    ("Which plugins released since 2023 mention maps the most?", "sql"),
    # ordering by date is a filter: with text content, both
    ("Which recent releases mention maps?", "both"),
    # a filter and a text cue that is not about content: both (filters, then asks about text)
    ("Which 2024 releases explain plugin hooks?", "both"),
    # "count" alone is a count, which outweighs text content
    ("Count the tools that mention maps", "sql"),
    # no cue at all: SQL by default
    ("Hello there", "sql"),
    # measurements: not "how / why"
    ("How long is shot-scraper's documentation?", "text"),
    ("How long is the bridge", "sql"),
    ("How often is it run", "sql"),
]


@pytest.mark.parametrize("question,path", DECIDED)
def test_the_cue_decides_the_path(question, path):
    assert choose_path(question, has_text_index=True).path == path


def test_reasons_name_the_cues_that_decided():
    assert choose_path("How many releases are in the list?", has_text_index=True).reason == "asks for counts, filters"
    assert choose_path("Which 2024 releases explain plugin hooks?", has_text_index=True).reason == (
        "filters by dates and asks about text"
    )
    assert choose_path("Which 2024 releases mention plugin hooks?", has_text_index=True).reason == (
        "filters by dates, then asks about text content"
    )
    assert choose_path("Hello there", has_text_index=True).reason == "no text cue; SQL by default"
    assert choose_path("Count the releases", has_text_index=True).sql_cues == ("counts",)


def test_a_question_about_the_number_total_or_average_is_no_what_is_question():
    for question in ("What is the number of releases?", "What is the total of sales?", "What are the average ages?"):
        assert "what-is" not in choose_path(question, has_text_index=True).text_cues, question
    assert choose_path("What is shot-scraper?", has_text_index=True).text_cues == ("what-is",)


def test_every_path_may_be_asked_for():
    assert ASK_MODES == ("auto", "sql", "text", "both") and PATHS == ("sql", "text", "both")
    for path in PATHS:
        route = choose_path("How many?", has_text_index=True, forced=path)
        assert route.path == path and route.forced
