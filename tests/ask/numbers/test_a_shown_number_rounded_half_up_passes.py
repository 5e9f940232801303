"""A shown number rounded as people round (half up, on its decimal digits) is a rounding of a shown number and
passes (docs/ask.md: "a shown number written another common way passes"); an outside tester, session 58, found
2.5 -> 3, 38.5 -> 39, 0.125 -> 0.13, 30,290.25 -> 30,290.3 flagged, since round() rounds half to even on the binary
value. Rounding the wrong way is still flagged."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

SHOWN = "name | amount | label\nalpha | 2.5 | x\nbeta | 38.5 | y\ngamma | 0.125 | z\ndelta | 1.005 | $30,290.25"


@pytest.mark.parametrize(
    "answer", ["about 3", "about 39", "about 0.13", "about 1.01", "about $30,290.3", "about 30,290.3"]
)
def test_half_up_roundings_pass(answer):
    assert unverified_numbers(answer, SHOWN, "What are the amounts?") == []


@pytest.mark.parametrize("answer", ["about 4", "about 40", "about 0.14", "about 30,290.4"])
def test_other_numbers_are_still_flagged(answer):
    assert unverified_numbers(answer, SHOWN, "What are the amounts?")
