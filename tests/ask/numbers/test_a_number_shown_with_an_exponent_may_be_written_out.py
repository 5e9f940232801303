"""A REAL the model was shown in exponent form, as SQLite prints it (`1e+20`, `6.02e+23`, `2.5e-07`), is the same
number written out in full (`100,000,000,000,000,000,000`, `0.00000025`), rounded (`0.0000003`), or as people write
exponents (`6.02 × 10^23`, `6.02 x 10**23`); and a number shown in full may be written with an exponent. Each was
flagged as a number no row holds (an outside tester, session 58: docs/ask.md says a shown number written another
common way passes), and a shown 0.00000025 rounded to 0.0000003 too (the half-up rounding wrote `3E-7`).

Oracle, on generated values: the text SQLite itself gives the REAL (`cast(v as text)`) is shown; each way of writing
that very value passes, and the same ways with one digit changed are flagged."""

import random
import sqlite3
from decimal import Decimal

import pytest

from datasette_llm.ask.numbers import unverified_numbers


def generated_values(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    conn = sqlite3.connect(":memory:")
    values = []
    while len(values) < count:
        digits = rng.choice([1, 2, 3, 4])
        mantissa = rng.randrange(10 ** (digits - 1), 10**digits)
        exponent = rng.choice([-12, -9, -7, -5, 16, 18, 20, 23, 30]) - (digits - 1)
        text = conn.execute("select cast(? as text)", (mantissa * 10.0**exponent,)).fetchone()[0]
        if "e" in text:  # as SQLite prints it
            values.append(text)
    return values


def written_ways(shown: str) -> list[str]:
    value = Decimal(shown)
    full = format(value, "f")
    mantissa, exponent = shown.split("e")
    ways = [full, f"{mantissa} × 10^{int(exponent)}", f"{mantissa} x 10**{int(exponent)}"]
    if "." not in full:
        ways.append(f"{int(full):,}")
    return ways


def changed(way: str) -> str:
    """The same writing with its first nonzero digit changed: another number."""
    at = next(i for i, ch in enumerate(way) if ch in "123456789")
    return way[:at] + str(int(way[at]) % 9 + 1) + way[at + 1 :]


VALUES = generated_values(40, seed=59)


@pytest.mark.parametrize("shown", VALUES)
def test_the_value_shown_with_an_exponent_passes_written_any_common_way(shown):
    rows = f"name | value\nsample | {shown}"
    for way in written_ways(shown):
        assert unverified_numbers(f"The value is {way}.", rows, "What is the value?") == [], (shown, way)


@pytest.mark.parametrize("shown", VALUES)
def test_another_value_written_those_ways_is_flagged(shown):
    rows = f"name | value\nsample | {shown}"
    for way in written_ways(shown):
        assert unverified_numbers(f"The value is {changed(way)}.", rows, "What is the value?"), (shown, way)


@pytest.mark.parametrize(
    ("shown", "answer"),
    [("100000000000000000000", "1e20"), ("100000000000000000000", "1 × 10^20"), ("0.00000025", "0.0000003")],
)
def test_a_value_shown_in_full_passes_with_an_exponent_or_rounded(shown, answer):
    assert unverified_numbers(f"The value is {answer}.", f"name | value\nsample | {shown}", "What?") == []


def test_a_power_of_ten_is_not_read_as_numbers_of_its_own():
    """Shown 5, 10 and 3 do not make "5 × 10^3" (5,000) a shown number."""
    assert unverified_numbers("It is 5 × 10^3.", "a | b | c\n5 | 10 | 3", "What?") == ["5e3"]
