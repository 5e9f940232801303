"""A passage's markup is taken out (compact_text) without joining what it stood between: a line break or a block
between two numbers leaves them two numbers, and a superscript stays apart from its base, so the model never reads
(and the numbers check never takes as shown) a number the row does not hold. An outside tester, session 58:
"1<br>234" was read as 1234, "10<sup>6</sup>" as 106, "12<br>15<br>9" as 12159, and answers stating them passed."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers
from datasette_llm.ask.text.passages import compact_text


@pytest.mark.parametrize(
    "text, joined",
    [
        ("Population: 1<br>234 households.", "1234"),
        ("Population: 1<br/>234", "1234"),
        ("Scores: 12<br>15<br>9.", "12159"),
        ("It holds 10<sup>6</sup> litres.", "106"),
        ("Built 19<p>02 members", "1902"),
        ("Count 5![badge](b.svg)00", "500"),
        ("Count 5[![badge](b.svg)](https://ci.example/x)00", "500"),
        ("Total: 3<img src=x>4", "34"),
    ],
)
def test_no_number_is_made_of_digits_markup_stood_between(text, joined):
    compact = compact_text(text)
    assert joined not in compact, compact
    assert unverified_numbers(f"It is {joined}.", compact, "How many?"), compact


def test_numbers_beside_markup_are_kept_whole():
    compact = compact_text("Population: 1234 households<br>counted in 1901.")
    assert unverified_numbers("It had 1234 households in 1901.", compact, "How many?") == []
