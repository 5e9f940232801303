"""Dates written with a month's name are checked against the dates the model was shown, in any common spelling."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.ask.month_dates import MONTHS, unshown_dates
from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette

SPELLINGS = [
    lambda d: f"{MONTHS[d.month - 1].capitalize()} {d.day}, {d.year}",
    lambda d: f"{MONTHS[d.month - 1].capitalize()} {d.day}",
    lambda d: f"{d.day} {MONTHS[d.month - 1].capitalize()} {d.year}",
    lambda d: f"{d.day}th of {MONTHS[d.month - 1].capitalize()}",
    lambda d: f"{MONTHS[d.month - 1].capitalize()[:3]}. {d.day}",
]
SHOWN = [
    lambda d: d.isoformat(),
    lambda d: f"{d.isoformat()}T10:00:00",
    lambda d: f"{d.month:02}/{d.day:02}/{d.year}",
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: f"{MONTHS[d.month - 1].capitalize()} {d.day}, {d.year}",
]


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(datetime.date(1800, 1, 1), datetime.date(2100, 12, 31)),
    shift=st.integers(1, 11),
    spelling=st.sampled_from(SPELLINGS),
    shown=st.sampled_from(SHOWN),
)
def test_a_date_as_shown_passes_and_another_month_is_flagged(day, shift, spelling, shown):
    rows = f"name | founded\nLurow Bridge | {shown(day)}"
    assert unshown_dates(f"It was founded on {spelling(day)}.", rows) == []
    other = day.replace(month=(day.month - 1 + shift) % 12 + 1, day=min(day.day, 28))
    written = spelling(other)
    flagged = unshown_dates(f"It was founded on {written}.", rows)
    assert len(flagged) == 1 and flagged[0] in written, (rows, written, flagged)


def test_the_outside_testers_date_is_flagged_with_the_numbers():
    """Session 34: "December 11, 1851" for a stored 1851-02-11 passed, 11 and 1851 being shown."""
    rows = "name | population | founded\nLurow Bridge | 1017 | 1851-02-11"
    answer = "Lurow Bridge was founded on December 11, 1851."
    assert unverified_numbers(answer, rows, "When was Lurow Bridge founded?") == ["December 11"]
    assert unverified_numbers("It was founded in February 1851.", rows, "When?") == []


@pytest.mark.parametrize(
    "answer",
    [
        "The March on Washington is listed.",  # a month's name with no day or year beside it
        "It may 4 times.",  # "may" is no month
        "Asked about December 3, it says so.",  # the question's date
        "In 2020 it had 3 rows.",
    ],
)
def test_what_is_not_a_date_or_was_asked_is_not_flagged(answer):
    assert unshown_dates(answer, "x | 2020-01-05", "What happened on December 3?") == []
