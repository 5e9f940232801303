"""The numbers check reads an answer as a reader does: letters drawn like digits and glued to digits (Latin O,
Cyrillic О, Greek Ο for 0; l and I for 1) make one number with them, so "13OO" with 13 shown is 1300, never shown
(an outside tester, session 58: "13OO", "5,OOO", "l23" all passed)."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

SHOWN = "region | units\nNorth | 13\nSouth | 23\nEast | 5"


@pytest.mark.parametrize(
    "answer",
    [
        "North sold 13OO units.",
        "North sold 13\u041e\u041e units.",
        "North sold 13\u039f\u039f units.",
        "South sold l23 units.",
        "South sold I23 units.",
        "East sold 5,OOO units.",
        "East sold 5OO.",
    ],
)
def test_digits_glued_to_letters_drawn_like_digits_are_not_a_shown_number(answer):
    assert unverified_numbers(answer, SHOWN, "How many units did each region sell?")


@pytest.mark.parametrize("answer", ["North sold 13 units.", "Order 13 of 23.", "East sold 5 units; Order 5 is open."])
def test_shown_numbers_beside_ordinary_words_still_pass(answer):
    assert unverified_numbers(answer, SHOWN, "How many units did each region sell?") == []


@pytest.mark.parametrize("answer", ["Water is H2O; 13 units.", "By 5am North sold 13.", "IO 13 and OI 23."])
def test_letters_glued_to_other_letters_stay_letters(answer):
    assert unverified_numbers(answer, SHOWN, "How many units did each region sell?") == []
