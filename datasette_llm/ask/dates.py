"""Dates in an answer that the text the model was shown does not hold.

"Founded on December 11, 1851" beside a row that says 1851-02-11: the number check finds 11 and 1851 shown, and
a month's name is no number (an outside tester's hostile answer, session 34). "Founded on 1851-12-11" beside the
same row: 1851, 12 and 11 are all shown, each in another date (session 34's second tester). So a date is read as a
date on both sides, and checked as a whole: its year, month and day must be one date shown, not three numbers
shown anywhere.

Read as dates in an answer:
- a month's name beside a day or a year, in any case or common abbreviation: "December 11", "DECEMBER 11, 1851",
  "Sept. 11", "Dec 11th", "December the 11th", "11 December 1851", "the 11th of December", "11-Dec-1851",
  "December 1851" (lowercase only for full names, and never "may": "it may 4 times");
- numbers in a date's shape: ISO `1851-12-11` and `1851/12/11`, and a day and month with a four-digit year parted
  by slashes, dots or dashes (`12/11/1851`, `11.12.1851`), read both ways round (month first or day first).
A month's name alone ("the March on Washington", "in May") is not a date. Year-month numbers (`2010-12`) are not
read as dates in an answer: they are as often a range of years.

Shown are the same spellings in the rows or passages (and ISO `1851-12`, and any month's name, for a month with a
year) and in the question. An answer's date passes when:
- with a year and a day: that year, month and day are one date shown, or the month and day were shown with no
  year beside them and the year is a number shown ("February 11" in one passage, "1851" in another);
- with a day and no year: that month and day were shown, in any date;
- with a year and no day: that year and month were shown, or the month was shown with no year beside it and the
  year is a number shown.
The dates found are left out of the number check, which would read "11.02.1851" as the decimal 11.02.

A weekday written right before a date with a year and a day must be that date's ("Friday, February 11, 1851" for
a Tuesday is flagged whole); a weekday anywhere else is not read. Not read as dates: months in other languages,
two-digit years.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

MONTHS = "january february march april may june july august september october november december".split()
_NAME = r"(?P<name>(?:" + "|".join(MONTHS) + r"|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\.?)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?![\d.]\d)"
_YEAR = r"(?P<year>\d{4})(?!\d)"
# "December 11", "December the 11th, 1851", "Dec. 11 1851", "December 1851"
NAME_FIRST = re.compile(
    r"(?<![A-Za-z])" + _NAME + r"(?![A-Za-z])(?:[\s,]*(?:the\s+)?" + _DAY + r")?(?:(?:\s*,\s*|\s+)" + _YEAR + r")?",
    re.IGNORECASE,
)  # fmt: skip
# "11 December", "11th of December, 1851", "11-Dec-1851"
DAY_FIRST = re.compile(
    r"(?<![\d.,/-])" + _DAY + r"(?:\s+of\s+|\s+|-)" + _NAME + r"(?![A-Za-z])(?:(?:\s*,\s*|\s+|-)" + _YEAR + r")?",
    re.IGNORECASE,
)  # fmt: skip
ISO = re.compile(r"(?<![\d.])(?P<year>\d{4})([-/])(?P<month>[01]?\d)(?:\2(?P<day>[0-3]?\d))?(?![\d])")
# Day and month both ways round, then a four-digit year: 12/11/1851, 11.12.1851, 11-12-1851.
NUMERIC = re.compile(r"(?<![\d.,/-])(?P<a>[0-3]?\d)([/.-])(?P<b>[0-3]?\d)\2(?P<year>\d{4})(?![\d])")
MONTH_NAME = re.compile(r"(?<![A-Za-z])" + _NAME + r"(?![A-Za-z])", re.IGNORECASE)


def month_number(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name.rstrip(".").lower()[:3]) + 1


NO_DAY = -1  # a day written that no month has (00, 32-39): no date is read there, so its number is checked


def _day(text: str | None) -> int | None:
    if not text:
        return None
    return int(text) if 1 <= int(text) <= 31 else NO_DAY


def _year(text: str | None) -> int | None:
    return int(text) if text else None


WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
# "Friday, February 11, 1851", "Fri. 11 Feb 1851": a weekday right before a date
WEEKDAY_BEFORE = re.compile(
    r"(?<![A-Za-z])(?P<weekday>"
    + "|".join(WEEKDAYS)
    + r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?,?\s+(?:the\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Date:
    """A date as written: one or two readings (year or None, month, day or None); `12/11/1851` has two. With the
    weekday written before it (0 for Monday), a reading with a year and a day must fall on that weekday."""

    text: str
    start: int
    end: int
    readings: tuple[tuple[int | None, int, int | None], ...]
    weekday: int | None = None

    def falls_on_its_weekday(self, year: int | None, month: int, day: int | None) -> bool:
        if self.weekday is None or year is None or day is None:
            return True
        try:
            return datetime.date(year, month, day).weekday() == self.weekday
        except ValueError:  # February 30th, year 0
            return False


def _is_month_word(name: str) -> bool:
    """A month's name as an answer writes one: capitalised or in capitals; lowercase only a full name other than
    "may" ("december 11"; not "it may 4 times", "mar 3")."""
    word = name.rstrip(".")
    if word[0].isupper():
        return True
    return word in MONTHS and word != "may"


def written_dates(text: str, *, strict: bool = True) -> list[Date]:
    """Every date in `text`, in order, none overlapping another. `strict` (an answer): month names as an answer
    writes them, numeric dates with a day; otherwise (the shown side) any case, and ISO year-months too."""
    found: list[Date] = []
    taken = bytearray(len(text))  # the characters of dates found (a date is short: checking each is cheap)

    def add(match: re.Match, readings: list[tuple[int | None, int, int | None]]) -> None:
        # "2024-01-32" once read as the month 2024-01, which the rows held: its 32 went unchecked (an outside
        # tester, session 36).
        readings = [r for r in readings if 1 <= r[1] <= 12 and r[2] != NO_DAY]
        if readings and not any(taken[match.start() : match.end()]):
            found.append(Date(match.group(0).strip(" ,"), match.start(), match.end(), tuple(dict.fromkeys(readings))))
            taken[match.start() : match.end()] = b"\x01" * (match.end() - match.start())

    for match in ISO.finditer(text):
        if match.group("day") or not strict:
            add(match, [(int(match.group("year")), int(match.group("month")), _day(match.group("day")))])
    for match in NUMERIC.finditer(text):
        a, b, year = int(match.group("a")), int(match.group("b")), int(match.group("year"))
        add(match, [(year, a, _day(str(b))), (year, b, _day(str(a)))])
    for pattern in (DAY_FIRST, NAME_FIRST):
        for match in pattern.finditer(text):
            name, day = match.group("name"), _day(match.group("day"))
            if strict and not _is_month_word(name):
                continue
            if not (day or match.group("year")):
                continue  # a month's name alone, or "March 45"
            add(match, [(_year(match.group("year")), month_number(name), day)])
    if strict:
        found = [_with_weekday(text, date) for date in found]
    return sorted(found, key=lambda d: d.start)


def _with_weekday(text: str, date: Date) -> Date:
    """`date` with the weekday written right before it, if one is, in its text and span."""
    before = WEEKDAY_BEFORE.search(text, max(0, date.start - 16), date.start)
    word = before.group("weekday") if before else ""
    if not word or (word.lower() not in WEEKDAYS and not word[0].isupper()):
        return date  # "he sat, February 11": a short form only with its capital
    weekday = [day[:3] for day in WEEKDAYS].index(word.lower()[:3])
    text = text[before.start() : date.end].strip(" ,")
    return Date(text, before.start(), date.end, date.readings, weekday)


_MONTH_COLUMN = re.compile(r"(?:^|[\W_])month(?:[\W_]|$)", re.IGNORECASE)


def _month_column_values(text: str) -> set[int]:
    """Months 1-12 in a column named like `month` of the rows as the model read them ("month | total" over lines
    "09 | 45": `strftime('%m', ...) AS month`), so "September 2023" for a question about 2023 is no invented date."""
    months: set[int] = set()
    columns: list[int] = []
    width = 0
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split(" | ")]
        if columns and len(cells) == width:
            months.update(int(cells[i]) for i in columns if cells[i].isdigit() and 1 <= int(cells[i]) <= 12)
        elif len(cells) > 1 and any(_MONTH_COLUMN.search(cell) for cell in cells):
            columns, width = [i for i, cell in enumerate(cells) if _MONTH_COLUMN.search(cell)], len(cells)
        elif len(cells) == 1 and _MONTH_COLUMN.search(cells[0]) and not cells[0].isdigit():
            columns, width = [0], 1
    return months


class ShownDates:
    """The dates of a text the model read (and of the question), read once."""

    def __init__(self, *texts: str):
        self.full: set[tuple[int, int, int | None]] = set()  # (year, month, day or None) written together
        self.month_days: set[tuple[int, int | None]] = set()  # (month, day) and (month, None) of every date
        self.yearless: set[tuple[int, int | None]] = set()  # (month, day or None) written with no year
        for text in texts:
            dates = written_dates(text, strict=False)
            for date in dates:
                for year, month, day in date.readings:
                    self.month_days.update({(month, day), (month, None)})
                    if year is None:
                        self.yearless.update({(month, day), (month, None)})
                    else:
                        self.full.update({(year, month, day), (year, month, None)})
            in_date = bytearray(len(text))
            for date in dates:
                in_date[date.start : date.end] = b"\x01" * (date.end - date.start)
            for month in _month_column_values(text):
                self.month_days.add((month, None))
                self.yearless.add((month, None))
            for match in MONTH_NAME.finditer(text):  # "in May", "the December report": a month with no year
                if not in_date[match.start()]:
                    self.month_days.add((month_number(match.group("name")), None))
                    self.yearless.add((month_number(match.group("name")), None))

    def holds(self, date: Date, number_shown: Callable[[str], bool]) -> bool:
        for year, month, day in date.readings:
            if not date.falls_on_its_weekday(year, month, day):
                continue
            if year is None:
                if (month, day) in self.month_days:
                    return True
            elif (year, month, day) in self.full or ((month, day) in self.yearless and number_shown(str(year))):
                return True
        return False


def unshown_dates(
    answer: str, shown: ShownDates, number_shown: Callable[[str], bool]
) -> tuple[list[str], list[tuple[int, int]]]:
    """The answer's dates (as written) that `shown` does not hold, and the spans of every date the answer writes
    (the number check leaves them out)."""
    written = written_dates(answer)
    return [d.text for d in written if not shown.holds(d, number_shown)], [(d.start, d.end) for d in written]
