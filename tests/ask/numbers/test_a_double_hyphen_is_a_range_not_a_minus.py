"""`1990--2000` (a range written with two hyphens, as TeX and plain-text writers write an en dash) is 1990 to 2000,
not 1990 and -2000 (mutant: a hyphen before the minus sign allowed)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_a_hyphen_after_a_hyphen_is_no_sign():
    rows = "year | v\na | 1990\nb | 2000\n"
    assert unverified_numbers("From 1990--2000 it rose.", rows, "When?") == []
    assert unverified_numbers("From 1990--2001 it rose.", rows, "When?") == ["2001"]
