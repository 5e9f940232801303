"""A sign a reader reads is the number's sign: an en dash standing apart ("–500"), a minus sign before a space
("− 500") make -500, never shown when only 500 was (an outside tester, session 58: both passed, while "-500" was
flagged). A range ("2020–2021") is no sign, nor a dash set apart as a separator ("Q1 – 500"). The word "minus" is
left a word: in "700 minus 500" it is arithmetic, not a sign."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

SHOWN = "quarter | profit | years\nQ1 | 500 | 2020\nQ2 | 700 | 2021"


@pytest.mark.parametrize(
    "answer", ["Q1's profit was \u2013500.", "Q1's profit was \u2212 500.", "Q1's profit was \u2212\u00a0500."]
)
def test_a_sign_a_reader_reads_is_checked(answer):
    assert unverified_numbers(answer, SHOWN, "What was the profit?")


@pytest.mark.parametrize(
    "answer",
    ["Q1's profit was 500.", "From 2020\u20132021 it grew.", "Q1 \u2013 500, Q2 \u2013 700."],
)
def test_no_sign_no_flag(answer):
    assert unverified_numbers(answer, SHOWN, "What was the profit?") == []
