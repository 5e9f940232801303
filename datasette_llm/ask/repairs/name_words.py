"""Identifiers and questions compared word by word, loosely: `SourceAirport` is "source airport",
`singer_in_concert` is named by "concerts", `Student_Enrolment` by "enrolled"."""

from __future__ import annotations

import re


def identifier_words(name: str) -> list[str]:
    """`SourceAirport` -> ['source', 'airport']; `Student_Enrolment_Courses` -> ['student', 'enrolment', 'courses']."""
    return [word.lower() for word in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]


def question_stems(question: str) -> list[str]:
    """The question's words, stemmed, in order; none empty (the "s" of "What's" stems to nothing and is left out)."""
    return [stemmed for word in re.findall(r"[a-z]+", question.lower()) if (stemmed := stem(word))]


def stem(word: str) -> str:
    """Loose enough for plurals and endings: a short word without -s/-es, a five-letter plural without its -s
    (so "teams" meets "team"), and the first five letters of any longer word ("concerts" meets "concert")."""
    if len(word) < 5:
        return re.sub(r"(es|s)$", "", word)
    if len(word) == 5 and word.endswith("s") and not word.endswith("ss"):
        return word[:4]
    return word[:5]
