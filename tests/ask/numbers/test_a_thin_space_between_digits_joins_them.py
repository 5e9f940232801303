"""A thin space (U+2009) between digits shows no gap a reader reads, so "1807\\u20095" is 18075, as with the other
narrow spaces (written_numbers NARROW_SPACES). Mutant: U+2009 dropped from NARROW_SPACES, so NFKC made it a space
and an invented 18075 passed where the rows showed 1807 and 5 (tests/ask/test_numbers.py samples U+2009 among
hundreds of characters and its seed may not draw it)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("space", ["\u2006", "\u2008", "\u2009", "\u200a", "\u202f"])
def test_each_narrow_space_between_digits_joins_them(space):
    assert unverified_numbers(f"It cost 1807{space}5 crowns.", "a | b\nx | 1807\ny | 5", "How much?") == ["18075"]
