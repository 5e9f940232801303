"""A scale word after two spaces, a tab or a line break still scales the amount ("12  million", "7\\nthousand"):
read as 12 and 7 they passed where the rows showed 12 and 7. Mutant: SCALED with one space only."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("gap", ["  ", "\t", "\n"])
def test_the_scale_word_is_read_after_any_whitespace(gap):
    answer = f"It is 12{gap}million."
    assert unverified_numbers(answer, "v\n12", "What is it?") == [f"12{gap}million"]
    assert unverified_numbers(answer, "v\n12000000", "What is it?") == []
