"""A number shown with an exponent passes written as `6.02 × 10^23` (session 59) and a shown number passes rounded
half up (session 59: "half-up rounding"). The power written in superscript digits (`10²³`, as people and Markdown
renderers write it) was read as 6.02 and 1023, and an amount with a scale is rounded by Python's round(), half to
even on binary floats: `3 × 10^20` for a shown 2.5e+20 and `1.3 million` for 1,250,000 were flagged while
`2 × 10^20` passed (outside tester 60a). Oracle: decimal arithmetic, ROUND_HALF_UP."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

CASES = [("6.02 × 10²³", "6.02e+23"), ("2.5 × 10³", "2500"), ("3 × 10^20", "2.5e+20"), ("1.3 million", "1250000")]


@pytest.mark.parametrize(("answer", "shown"), CASES)
def test_a_shown_number_written_with_a_power_or_a_scale_rounded_half_up_passes(answer, shown):
    """The answer writes the shown number, rounded half up, with a power of ten or a scale word: no warning."""
    assert unverified_numbers(f"It is {answer}.", f"value\n{shown}", "what is it?") == []
