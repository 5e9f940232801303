"""`6.02 × 10^23` is one number, 6.02e23, whatever sign of multiplication and spacing people write (session 59:
`[×xX*·]` and any spaces or tabs around it). Oracle: the value written, against a shown number equal to it and one
that is not (outside tester 60a: mutants dropping `·` or reading at most one space survived)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

WRITTEN = [
    "2.5×10^3",
    "2.5 × 10^3",
    "2.5  ×  10^3",
    "2.5\t×\t10^3",
    "2.5·10^3",
    "2.5 · 10^3",
    "2.5 x 10^3",
    "2.5*10**3",
]


@pytest.mark.parametrize("written", WRITTEN)
def test_a_power_of_ten_is_one_number_whatever_the_sign_and_spacing(written):
    """Read as 2500: passes against a shown 2500, is flagged against shown 2.5, 10 and 3."""
    assert unverified_numbers(f"It is {written}.", "value\n2500", "what is it?") == []
    assert unverified_numbers(f"It is {written}.", "value\n2.5\n10\n3", "what is it?") != []
