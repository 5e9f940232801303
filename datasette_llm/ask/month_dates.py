"""Dates an answer writes with a month's name that the text the model was shown does not hold.

"Founded on December 11, 1851" beside a row that says 1851-02-11: the number check finds 11 and 1851 shown, and
a month's name is no number (an outside tester's hostile answer, session 34). A month's name is checked when a
day or a year stands next to it ("December 11", "11 December", "Dec. 11", "December 1851"): the shown side must
hold that month (and that day, when the answer gives one) in any common spelling: ISO `1851-12-11`, `1851-12`,
slashes (`12/11/1851`, read both ways round), or the month's name beside a day. A month's name alone ("the March
on Washington", "in May") is not checked. The question's dates count as shown, as its numbers do.
"""

from __future__ import annotations

import re

MONTHS = "january february march april may june july august september october november december".split()
_NAME = r"(?P<name>(?:" + "|".join(f"{m.capitalize()}|{m.capitalize()[:3]}" for m in MONTHS) + r")\.?)"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
# "December 11", "Dec. 11th", "December 1851" (a year: four digits), and "11 December", "11th of December"
NAME_FIRST = re.compile(r"\b" + _NAME + r"\s+(?:" + DAY + r"(?!\d)|(?P<year>\d{4}))\b")
DAY_FIRST = re.compile(r"\b" + DAY + r"\s+(?:of\s+)?" + _NAME + r"(?![A-Za-z])", re.IGNORECASE)
ISO = re.compile(r"(?<!\d)\d{4}-(?P<month>[01]?\d)(?:-(?P<day>[0-3]?\d))?(?!\d)")
SLASHES = re.compile(r"(?<!\d)(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/\d{2,4}(?!\d)")
SHOWN_NAME = re.compile(r"\b" + _NAME + r"(?![A-Za-z])", re.IGNORECASE)


def month_number(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name.rstrip(".").lower()[:3]) + 1


def _day(text: str | None) -> int | None:
    return int(text) if text and 1 <= int(text) <= 31 else None


def written_dates(answer: str) -> list[tuple[str, int, int | None]]:
    """(as written, month, day or None) for each month's name the answer writes beside a day or a year, in order;
    "1 February 2000" once, as its day and month."""
    found = []
    names = set()  # where the names of "11 December" start, so "December 1851" after it is the same date
    for match in DAY_FIRST.finditer(answer):
        if match.group("name")[0].isupper() and _day(match.group("day")):
            found.append(
                (match.start(), match.group(0).rstrip("."), month_number(match.group("name")), _day(match.group("day")))
            )
            names.add(match.start("name"))
    for match in NAME_FIRST.finditer(answer):
        day = None if match.group("year") else _day(match.group("day"))
        if (match.group("year") or day) and match.start("name") not in names:
            found.append((match.start(), match.group(0), month_number(match.group("name")), day))
    return [tuple(date) for _, *date in sorted(found)]


def shown_dates(text: str) -> set[tuple[int, int | None]]:
    """(month, day) and (month, None) for every date the text holds, in any of the spellings above."""
    shown: set[tuple[int, int | None]] = set()

    def add(month: int, day: int | None) -> None:
        if 1 <= month <= 12:
            shown.update({(month, None), (month, day)})

    for match in ISO.finditer(text):
        add(int(match.group("month")), _day(match.group("day")))
    for match in SLASHES.finditer(text):
        a, b = int(match.group("a")), int(match.group("b"))
        add(a, _day(str(b)))
        add(b, _day(str(a)))
    for match in NAME_FIRST.finditer(text):
        add(month_number(match.group("name")), None if match.group("year") else _day(match.group("day")))
    for match in DAY_FIRST.finditer(text):
        add(month_number(match.group("name")), _day(match.group("day")))
    for match in SHOWN_NAME.finditer(text):
        add(month_number(match.group("name")), None)
    return shown


def unshown_dates(answer: str, shown_text: str, question: str = "") -> list[str]:
    """The answer's dates (as written) whose month, or month and day, the shown text and the question do not hold."""
    written = written_dates(answer)
    if not written:
        return []
    shown = shown_dates(shown_text) | shown_dates(question)
    return [text for text, month, day in written if (month, day) not in shown]
