"""`5E3` is 5,000, as `5e3` is (numbers.py: `1e20`; tests hold `171E961` as invented): read as 5 it passed where the
rows showed 5, and a shown 1,500 written 1.5E3 was flagged. Mutant: the exponent with a lower-case e only."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_an_upper_case_exponent_scales_the_amount():
    assert unverified_numbers("It is 5E3.", "v\n5", "What is it?") == ["5E3"]
    assert unverified_numbers("It is 1.5E3.", "v\n1500", "What is it?") == []
