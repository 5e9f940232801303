"""A number a reader sees is read even when written with no real digit ("$lO,OOO", "IO,OOO", "lOO%", "l,OOO") or with
other zero look-alikes after digits ("13oo", "5,ooo", "13〇〇", "13ᴏᴏ"): an outside tester, session 58, found these
passing after look-alikes among digits were read (f7db422). Words that merely hold such letters are no numbers."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

SHOWN = "region | units\nNorth | 13\nSouth | 23\nEast | 5\nWest | 1"
QUESTION = "How many units did each region sell?"


@pytest.mark.parametrize(
    "answer",
    [
        "North's budget is $lO,OOO.",
        "North sold IO,OOO units.",
        "West grew lOO%.",
        "West sold l,OOO units.",
        "North sold 13oo units.",
        "East sold 5,ooo units.",
        "North sold 13\u3007\u3007 units.",
        "North sold 13\u1d0f\u1d0f units.",
    ],
)
def test_a_number_drawn_with_look_alike_letters_is_flagged(answer):
    assert unverified_numbers(answer, SHOWN, QUESTION), answer


@pytest.mark.parametrize(
    "answer", ["I sold 5 units; Ollie sold 13.", "The IOC and the OOP team sold 23.", "lol, West sold 1."]
)
def test_words_with_those_letters_are_no_numbers(answer):
    assert unverified_numbers(answer, SHOWN, QUESTION) == []
