"""An amount may be the shown number itself only in the scale the question asks for ("in millions"); a question about
"millionaires" or "thousandths" names no scale. Mutant: the scale word found without word boundaries, so
"12.84 million" passed beside a shown 12.840924 for "How many millionaires live there?"."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette

ROWS = "population\n12.840924"


@pytest.mark.parametrize("question", ["How many millionaires live there?", "What is the billionaires' count?"])
def test_a_scale_word_inside_another_word_names_no_scale(question):
    answer = "It is 12.84 million." if "million" in question else "It is 12.84 billion."
    assert unverified_numbers(answer, ROWS, question) == [answer[6:-1]]


def test_the_scale_the_question_names_still_counts():
    assert unverified_numbers("It is 12.84 million.", ROWS, "What is it, in millions?") == []
