"""Passages never cut inside a number (session 59): a CSV line is cut between numbers, never after a decimal point
(`12.|5`), and a chunk too long for the window, cut by characters, leaves out the part of a number grouped by no-break
or thin spaces it ends on. Oracle: the numbers check's own reading of the text (outside tester 60a: mutants letting a
cut follow a decimal point or counting a no-break space as a word's end survived)."""

import random

import pytest

from datasette_llm.ask.numbers import unverified_numbers
from datasette_llm.ask.text.passages import best_window, split_chunks


def test_no_chunk_of_a_line_of_decimals_shows_a_number_the_line_does_not():
    """Lines of decimals with no space: every chunk shows only numbers the line holds."""
    rng = random.Random(5)
    for _ in range(60):
        text = ";".join(f"{rng.randrange(10**5, 10**6)}.{rng.randrange(10**4, 10**5)}" for _ in range(30))
        for size in (40, 60, 100):
            for chunk in split_chunks(text, size):
                assert unverified_numbers(chunk, text, "") == [], (size, chunk)


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2009"])
def test_a_window_cut_by_characters_leaves_out_a_grouped_numbers_part(space):
    """A chunk cut by characters shows no part of a number grouped by no-break, narrow or thin spaces."""
    for budget in range(20, 120):
        chunk = " ".join(f"{n:,}".replace(",", space) for n in range(1_234_567, 1_234_567 + 40 * 1_111_111, 1_111_111))
        passage, _ = best_window([chunk], [1.0], len, budget)
        assert unverified_numbers(passage, chunk, "") == [], (budget, passage[-20:])
