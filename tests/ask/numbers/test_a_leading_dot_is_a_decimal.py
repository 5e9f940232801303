"""`.5` is 0.5 (numbers.py: "a leading dot (.25)"): read as 5, an invented .5 passed where the rows showed 5, and a
shown 0.25 written .25 was flagged. Mutant: NUMBER's digits without the leading-dot form."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_a_leading_dot_amount_is_checked_as_the_decimal():
    assert unverified_numbers("The rate is .5.", "v\n5", "What is the rate?") == [".5"]
    assert unverified_numbers("The rate is .25.", "v\n0.25", "What is the rate?") == []
