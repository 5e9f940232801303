"""A shown decimal's whole part is a form an answer may write it in (numbers.py `_forms`: its truncations): 37 for
37.62, whose rounding is 38. Mutant: the whole part not added, so a true 37 was flagged."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_the_whole_part_and_the_rounding_of_a_decimal_pass():
    assert unverified_numbers("About 37 or 38.", "total\n37.62", "What is the total?") == []
    assert unverified_numbers("About 36.", "total\n37.62", "What is the total?") == ["36"]
