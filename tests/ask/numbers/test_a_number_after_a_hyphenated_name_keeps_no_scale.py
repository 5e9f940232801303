"""A scale word after a name's number does not scale it: in "COVID-19 thousands of times" 19 is the name's, not
19,000 (SCALED's `(?<![A-Za-z]-)`). Mutant: that look-behind dropped, so a shown 19 was flagged as 19 thousands."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_a_number_joined_to_a_word_by_a_hyphen_takes_no_scale_word():
    assert unverified_numbers("COVID-19 thousands of times.", "v\n19", "How often?") == []
    assert unverified_numbers("It was 19 thousand times.", "v\n19", "How often?") == ["19 thousand"]
