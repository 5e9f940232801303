"""Values never asked for (ask/repairs/unasked_values.py, spelt_in): a value the question does not spell whole is
asked for only when *each* of its words is (by its first four letters). One shared word is not enough: 'New York'
is not what "Who lives in New Jersey?" asks about, and 'Korea Republic' is not "the Republic of Chad". No test
held "each": every test value had one word, or all of them asked.
"""

import pytest

from datasette_llm.ask.repairs.unasked_values import spelt_in

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize(
    "literal, question, asked",
    [
        ("New York", "Who lives in New Jersey?", False),
        ("Korea Republic", "Which singers come from the Republic of Chad?", False),
        ("%new york%", "Who lives in New Jersey?", False),
        ("New Jersey", "Who lives in New Jersey?", True),
        ("Jersey New", "Who lives in New Jersey?", True),  # each word asked, in any order
        ("enrolment", "How many students enrolled?", True),  # first four letters
    ],
)
def test_a_value_is_asked_for_only_when_each_of_its_words_is(literal, question, asked):
    assert spelt_in(literal, question) is asked
