"""Whose passage it is: numbers an answer from text states citing passages that do not hold them.

numbers.py warns of a number no passage holds. An answer can also give a number one passage holds while citing
another ("Korvath Mill was founded in 1902 [1]", when 1902 is the year in passage [3], about another mill): the
reader who follows the citation finds a source that does not say it. Each sentence is checked against the
passages it cites: a number stated there that none of them holds but another passage does is warned, with the
passages that hold it.

A sentence's citations are its markers wherever they stand in it, and markers that open a sentence belong to the
one before ("... in 1887. [2] The ..."). Only sentences that cite a passage are checked: an uncited sentence makes
no claim of source (answer.py warns when an answer cites nothing at all). A sentence that cites several passages
is right when any of them holds the number. Numbers of the question count as held by every passage. Each
passage's numbers are read once; work is linear in the answer and the passages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..numbers import ShownNumbers, written_numbers
from .answer_text import CITATION

# A run of citation markers: " [1][2]". Each starts where a run of spaces starts (the look-behind): tried from
# every space of a long run, it read the rest of the run each time (32,768 spaces 1.5 s; an outside tester,
# session 32).
MARKERS = re.compile(r"(?<![^\S\n])(?:[^\S\n]*\[\d{1,2}\])+")
# A marker run right after a sentence's end belongs to that sentence: moved before its full stop.
MARKERS_AFTER_END = re.compile(r"(?<![.!?])([.!?]+)((?:[^\S\n]*\[\d{1,2}\])+)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def cited_sentences(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """(sentence without its markers, the passage numbers it cites in order) for each sentence of the answer."""
    text = MARKERS_AFTER_END.sub(lambda m: m.group(2) + m.group(1), answer)
    sentences = []
    for sentence in SENTENCE_END.split(text):
        cited = tuple(dict.fromkeys(int(n) for n in CITATION.findall(sentence)))
        sentences.append((MARKERS.sub("", sentence), cited))
    return sentences


def miscited_numbers(answer: str, passages: Mapping[int, str], question: str) -> list[tuple[str, tuple, tuple]]:
    """(number as written, the passages its sentence cites, the other passages that hold it), in the answer's
    order, for numbers a sentence states citing passages that do not hold them while another passage does.
    `passages`: each passage's number and the text the model read for it."""
    asked = ShownNumbers("", question)
    shown: dict[int, ShownNumbers] = {}

    def numbers_of(number: int) -> ShownNumbers:
        if number not in shown:
            shown[number] = ShownNumbers(passages[number], question, with_question=False)
        return shown[number]

    found = []
    for sentence, cited in cited_sentences(answer):
        cited = tuple(n for n in cited if n in passages)
        if not cited:
            continue
        for number in written_numbers(sentence):
            if asked.holds(number) or any(numbers_of(n).holds(number) for n in cited):
                continue
            holders = tuple(n for n in passages if n not in cited and numbers_of(n).holds(number))
            if holders:  # held by no passage at all: numbers.py warns of it
                found.append((number.text, cited, holders))
    return found


def citation_warnings(answer: str, passages: Mapping[int, str], question: str) -> tuple[str, ...]:
    """The warnings to show under an answer from text (none when every number it cites is in its sources)."""
    warnings = []
    for number, cited, holders in miscited_numbers(answer, passages, question):
        says = "does" if len(cited) == 1 else "do"
        warnings.append(
            f"The answer gives {number} citing {_passages(cited, 'or')}, which {says} not say it; it is in "
            f"{_passages(holders, 'and')}. Check which source it comes from."
        )
    return tuple(dict.fromkeys(warnings))


def _passages(numbers: tuple, conjunction: str) -> str:
    marked = [f"[{n}]" for n in numbers]
    listed = marked[0] if len(marked) == 1 else ", ".join(marked[:-1]) + f" {conjunction} " + marked[-1]
    return ("passage " if len(marked) == 1 else "passages ") + listed
