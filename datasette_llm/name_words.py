"""Identifiers and questions compared word by word, loosely: `SourceAirport` is "source airport",
`singer_in_concert` is named by "concerts", `Student_Enrolment` by "enrolled"."""

from __future__ import annotations

import re


def identifier_words(name: str) -> list[str]:
    """`SourceAirport` -> ['source', 'airport']; `Student_Enrolment_Courses` -> ['student', 'enrolment', 'courses']."""
    return [word.lower() for word in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]


def question_stems(question: str) -> list[str]:
    """The question's words, stemmed, in order."""
    return [stem(word) for word in re.findall(r"[a-z]+", question.lower())]


def stem(word: str) -> str:
    """Loose enough for plurals and endings: the first five letters of a long word, a short one without -s/-es."""
    return word[:5] if len(word) >= 5 else re.sub(r"(es|s)$", "", word)
