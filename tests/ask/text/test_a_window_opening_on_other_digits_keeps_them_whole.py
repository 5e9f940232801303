"""A passage that starts after the first chunk opens with "…", and "…2024" read as .2024, so a space is put after
"…" before ASCII digits (session 59). Full-width, Arabic-Indic and superscript digits are digits to the numbers
check too, and "…-2024" lost its sign (outside tester 60a). Oracle: the numbers check's own reading of the text."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers
from datasette_llm.ask.text.passages import best_window


@pytest.mark.parametrize(
    "opening", ["２０２４ was the year.", "٢٠٢٤ was the year.", "²⁰²⁴ was the year.", "-2024 was a year."]
)
def test_a_passage_opening_on_digits_shows_only_numbers_its_text_holds(opening):
    """The passage shows no number its chunks do not hold, whatever digits its second chunk opens with."""
    chunks = ["Intro text here.", opening + " More words follow"]
    passage, start = best_window(chunks, [0.0, 1.0], len, len(chunks[1]) + 3)
    assert start == 1 and passage.startswith("…")
    assert unverified_numbers(passage, "\n\n".join(chunks), "") == []
