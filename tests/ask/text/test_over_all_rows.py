"""Questions an answer from text cannot settle (ask/text/over_all_rows.py)."""

import pytest

from datasette_llm.ask.text.over_all_rows import over_all_rows

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize(
    "question, cue",
    [
        ("Which lake is the deepest, and how deep is it?", "“deepest”"),
        ("Which brewery exports the largest share of its beer?", "“largest”"),
        ("Which textile mill employed the most workers?", "rankings"),
        ("What are the top plugins for maps?", "rankings"),
        ("How many workers did Korvath Mill employ?", None),  # one row's fact
        ("What is the best way to take screenshots?", None),
        ("Which repos mention an interest in SQL or a request for tests?", None),
        ("What is shot-scraper?", None),
    ],
)
def test_questions_about_every_row_are_told_from_questions_about_some(question, cue):
    assert over_all_rows(question) == cue
