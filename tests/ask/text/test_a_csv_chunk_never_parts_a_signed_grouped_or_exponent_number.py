"""A paragraph with no space in reach (a CSV line) is cut "between two numbers", never inside one (session 59). The
cut still parted a minus from its digits (`-|551670025447` shows 551670025447), digits grouped by no-break, narrow
or thin spaces or apostrophes (`342` of 342 181 554), an exponent (`7.13` of 7.13e+25) and a hexadecimal number
(`0xb2f` of 0xb2f1e3) (outside tester 60a). Oracle: the numbers check's own reading: no chunk shows a number its
text does not."""

import random

import pytest

from datasette_llm.ask.numbers import unverified_numbers
from datasette_llm.ask.text.passages import split_chunks

SHAPES = {
    "minus": lambda rng: f"-{rng.randrange(10**8, 10**9)}",
    "thin space": lambda rng: f"{rng.randrange(10**8, 10**9):,}".replace(",", "\u2009"),
    "no-break space": lambda rng: f"{rng.randrange(10**8, 10**9):,}".replace(",", "\u00a0"),
    "narrow space": lambda rng: f"{rng.randrange(10**8, 10**9):,}".replace(",", "\u202f"),
    "apostrophe": lambda rng: f"{rng.randrange(10**8, 10**9):,}".replace(",", "'"),
    "exponent": lambda rng: f"{rng.randrange(1, 9)}.{rng.randrange(10, 99)}e+{rng.randrange(10, 30)}",
    "hexadecimal": lambda rng: f"0x{rng.randrange(10**8, 10**10):x}",
}


@pytest.mark.parametrize("shape", SHAPES)
def test_no_chunk_of_a_csv_line_shows_a_number_its_line_does_not(shape):
    """Each chunk of a line of numbers separated by `;` shows only numbers the line holds."""
    rng = random.Random(shape)
    for _ in range(30):
        text = ";".join(SHAPES[shape](rng) for _ in range(30))
        for size in (40, 60, 100):
            for chunk in split_chunks(text, size):
                assert unverified_numbers(chunk, text, "") == [], (size, chunk)
