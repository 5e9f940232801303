"""Dates are read as dates on both sides and checked whole: an answer's year, month and day must be one date shown,
in any common spelling, not three numbers shown anywhere."""

import datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from datasette_llm.ask.dates import MONTHS
from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def name(d: datetime.date) -> str:
    return MONTHS[d.month - 1].capitalize()


# How an answer writes a date with its year.
WITH_YEAR = [
    lambda d: f"{name(d)} {d.day}, {d.year}",
    lambda d: f"{name(d).upper()} {d.day}, {d.year}",
    lambda d: f"{name(d).lower()} {d.day}, {d.year}" if d.month != 5 else f"{name(d)} {d.day}, {d.year}",
    lambda d: f"{d.day} {name(d)} {d.year}",
    lambda d: f"the {d.day}th of {name(d)}, {d.year}",
    lambda d: f"{name(d)} the {d.day}th, {d.year}",
    lambda d: f"{d.day}-{name(d)[:3]}-{d.year}",
    lambda d: f"{'Sept' if d.month == 9 else name(d)[:3]}. {d.day}, {d.year}",
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month:02}/{d.day:02}",
    lambda d: f"{d.month:02}/{d.day:02}/{d.year}",
    lambda d: f"{d.day}.{d.month:02}.{d.year}",
]
WITHOUT_YEAR = [
    lambda d: f"{name(d)} {d.day}",
    lambda d: f"{name(d)[:3]}. {d.day}th",
    lambda d: f"the {d.day}th of {name(d)}",
    lambda d: f"{name(d).upper()} {d.day}",
]
SHOWN = [
    lambda d: d.isoformat(),
    lambda d: f"{d.isoformat()}T10:00:00",
    lambda d: f"{d.month:02}/{d.day:02}/{d.year}",
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: f"{name(d)} {d.day}, {d.year}",
    lambda d: f"{d.day} {name(d)[:3]} {d.year}",
]
DAYS = st.dates(datetime.date(1800, 1, 1), datetime.date(2100, 12, 31))


def readings(day: datetime.date, text: str) -> set[datetime.date]:
    """The dates `text` (a spelling of `day`) may be read as: day and month both ways round when both are numbers
    parted by slashes or dots."""
    both = {day}
    year_first = text[:4].isdigit() and text[4:5] in ("/", ".")  # 2001/10/1 (not 10/1/2001: a CI run's example)
    if any(ch in text for ch in "/.") and not any(ch.isalpha() for ch in text) and not year_first:
        try:
            both.add(day.replace(month=day.day, day=day.month))
        except ValueError:
            pass
    return both


def flagged(answer: str, rows: str, question: str = "When was it founded?") -> list[str]:
    return unverified_numbers(answer, rows, question)


@settings(max_examples=300, deadline=None)
@given(day=DAYS, spelling=st.sampled_from(WITH_YEAR + WITHOUT_YEAR), shown=st.sampled_from(SHOWN))
def test_a_date_as_shown_passes_in_any_spelling(day, spelling, shown):
    rows = f"name | founded\nLurow Bridge | {shown(day)}"
    assert flagged(f"It was founded on {spelling(day)}.", rows) == [], (rows, spelling(day))


@settings(max_examples=400, deadline=None)
@example(  # "10/1/2001" is read both ways round too: October 1, 2001 restates it
    first=datetime.date(2000, 10, 1),
    second=datetime.date(2001, 1, 10),
    spelling=lambda d: f"{d.strftime('%B')} {d.day}, {d.year}",
    shown=lambda d: f"{d.day}/{d.month}/{d.year}",
    mix="year",
)
@given(
    first=DAYS,
    second=DAYS,
    spelling=st.sampled_from(WITH_YEAR),
    shown=st.sampled_from(SHOWN),
    mix=st.sampled_from(["month", "day", "year", "month and day"]),
)
def test_a_date_made_of_parts_of_shown_dates_is_flagged(first, second, spelling, shown, mix):
    """Session 34's second tester: "1851-12-11" and "February 11, 1852" passed beside rows of 1851-02-11 and
    1852-03-12: each number was shown, in another date."""
    rows = f"name | founded\nLurow Bridge | {shown(first)}\nLeror Mine | {shown(second)}"
    year, month, day = first.year, first.month, first.day
    if mix == "month":
        month = second.month
    elif mix == "day":
        day = second.day
    elif mix == "year":
        year = second.year
    else:
        month, day = second.month, second.day
    try:
        written = datetime.date(year, month, day)
    except ValueError:
        return  # February 30
    if written in (first, second):
        return
    text = spelling(written)
    if readings(written, text) & (readings(first, shown(first)) | readings(second, shown(second))):
        return  # 03/04/1900 is read both ways round, on either side
    found = flagged(f"It was founded on {text}.", rows)
    assert len(found) == 1 and found[0] in text, (rows, text, found)


def test_the_outside_testers_dates_are_flagged():
    rows = "name | population | founded\nLurow Bridge | 1017 | 1851-02-11\nLeror Mine | 2017 | 1852-03-12"
    for answer, date in [
        ("Lurow Bridge was founded on December 11, 1851.", "December 11, 1851"),
        ("Lurow was founded on December the 11th, 1851.", "December the 11th, 1851"),
        ("Lurow was founded on DECEMBER 11, 1851.", "DECEMBER 11, 1851"),
        ("Lurow was founded on Sept. 11, 1851.", "Sept. 11, 1851"),
        ("Lurow was founded on 11-Dec-1851.", "11-Dec-1851"),
        ("Lurow was founded on 1851-12-11.", "1851-12-11"),
        ("Lurow was founded on 12/11/1851.", "12/11/1851"),
        ("Lurow was founded on March 12, 1851.", "March 12, 1851"),
        ("Lurow was founded on February 11, 1852.", "February 11, 1852"),
        ("Lurow was founded on Decem\u034fber 11, 1851.", "December 11, 1851"),
    ]:
        assert flagged(answer, rows) == [date], answer
    for answer in ["It was founded on 11.02.1851.", "It was founded on 02/11/1851.", "In February 1851."]:
        assert flagged(answer, rows) == [], answer


def test_a_day_and_month_shown_without_a_year_take_a_year_shown_elsewhere():
    passage = "The bridge opened on February 11. Work began in 1849 and ended in 1851."
    assert flagged("It opened on February 11, 1851.", passage) == []
    assert flagged("It opened on February 11, 1852.", passage) == ["February 11, 1852"]
    assert flagged("It opened in February 1851.", passage) == []
    assert flagged("It opened in March 1851.", passage) == ["March 1851"]


@pytest.mark.parametrize(
    "answer",
    [
        "The March on Washington is listed.",  # a month's name with no day or year beside it
        "It may 5 times.",  # "may" is no month
        "Asked about December 3, it says so.",  # the question's date
        "In 2020 it had 3 rows.",
        "From 2020-2021 it had 3 rows.",
    ],
)
def test_what_is_not_a_date_or_was_asked_is_not_flagged(answer):
    assert unverified_numbers(answer, "x | 2020-01-05\ny | 2021", "What happened on December 3?") == []


@settings(max_examples=200, deadline=None)
@given(day=DAYS, shift=st.integers(1, 6), spelling=st.sampled_from(WITH_YEAR), short=st.booleans())
def test_a_weekday_before_a_date_must_be_that_dates(day, shift, spelling, short):
    """Session 34's second tester: "Friday, February 11, 1851" passed for a Tuesday."""
    rows = f"name | founded\nLurow Bridge | {day.isoformat()}"
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    right, wrong = names[day.weekday()], names[(day.weekday() + shift) % 7]
    if short:
        right, wrong = right[:3] + ".", wrong[:3] + "."
    text = spelling(day)
    if readings(day, text) != {day}:
        return  # 03/04/1900 read both ways: the other reading may fall on the weekday written
    assert flagged(f"It opened on {right}, {text}.", rows) == []
    found = flagged(f"It opened on {wrong}, {text}.", rows)
    assert len(found) == 1 and found[0].startswith(wrong), (text, found)
    assert flagged(f"He sat, {text}.", rows) == []  # not a weekday


@pytest.mark.parametrize(
    ("rows", "answer", "found"),
    [
        ("month | total_releases\n09 | 45", "The most were published in September 2023.", []),
        ("month | total_releases\n09 | 45", "The most were published in October 2023.", ["October 2023"]),
        ("month | total_releases\n09 | 45", "The most were published in September 2022.", ["September 2022"]),
        ("release_month | n\n9 | 45\n10 | 3", "September 2023, then October 2023.", []),
        ("monthly_total | n\n9 | 45", "The most were published in September 2023.", ["September 2023"]),
    ],
)
def test_a_month_column_holds_months(rows, answer, found):
    """The real model's "September 2023" for rows of `strftime('%m', published_at) AS month` ("09 | 45") and a
    question about 2023 was warned (session 35, before and after dates were read whole)."""
    assert flagged(answer, rows, "In which month of 2023 were the most releases published?") == found


@pytest.mark.parametrize("day", ["00", "32", "37", "39"])
def test_a_day_no_month_has_is_no_date_and_its_number_is_checked(day):
    """ "2024-01-32" read as the month 2024-01, which the rows held, so its 32 went unchecked (an outside tester,
    session 36). A day no month has makes no date: its numbers are checked as numbers."""
    rows = "event | on\nlaunch | 2024-01-05"
    assert flagged(f"It launched on 2024-01-{day}.", rows) == [day]
    assert flagged(f"It launched on January {day}, 2024.", rows) == [day]
    assert flagged("It launched on 2024-01-05.", rows) == []
    assert flagged("It launched on 2024-01-29.", rows) == ["2024-01-29"]
