"""The whose-number check reads a row's name only as a word of its own: "Banana bread" does not mention a row named
"Ana", nor "Benjamin" one named "Ben". Mutant: the names' pattern without word boundaries, which warned that Ben's
99 stood beside "Ana"."""

import pytest

from datasette_llm.ask.attribution import numbers_of_other_rows

pytestmark = pytest.mark.no_datasette

ROWS = "name | amount\nAna | 12\nBen | 99"


@pytest.mark.parametrize("answer", ["Banana bread costs 99.", "Benjamin paid 12."])
def test_a_name_inside_a_longer_word_is_not_that_row(answer):
    assert numbers_of_other_rows(answer, ROWS, "What did they pay?") == []


def test_a_name_as_a_word_is_that_row():
    assert numbers_of_other_rows("Ana paid 99.", ROWS, "What did they pay?") == [("99", ["Ana"])]
