"""`.5 million` is 500,000 (numbers.py: a leading dot `.25`; amounts with a scale): read as .5 it passed where the
rows showed 0.5. Mutant: SCALED's digits without the leading-dot form."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_a_leading_dot_amount_before_a_scale_word_is_scaled():
    assert unverified_numbers("It is .5 million.", "v\n0.5", "What is it?") == [".5 million"]
    assert unverified_numbers("It is .5 million.", "v\n500000", "What is it?") == []
