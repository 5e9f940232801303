"""An answer that states no figure when the question asks for one.

"In which year did Ulorin Bridge open?" was answered "The old account books survive in a regional archive. [1]"
from the bridge's own report (session 33, benchmarks/fiction.py): a wrong answer with no number in it, which the
check of shown numbers cannot see. A question asking how many, how much, how long (tall, deep, far, high, old,
wide, big, heavy), in which year or what year, answered without a digit or a number word, is warned.
"""

from __future__ import annotations

import re

ASKS_FOR_A_FIGURE = re.compile(
    r"\bhow\s+(many|much|long|tall|deep|far|high|old|wide|big|heavy|large|often)\b|\b(which|what)\s+year\b",
    re.IGNORECASE,
)
NUMBER_WORDS = re.compile(
    r"\b(zero|no|none|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"thousand|million|billion|dozen|once|twice|single|half)\b",
    re.IGNORECASE,
)
CITATION = re.compile(r"\[\s*\d+\s*\]")
REFUSAL = re.compile(r"\bnot found\b|\bdoes not (answer|say|state|mention)\b|\bno passage\b", re.IGNORECASE)


def no_figure_warning(question: str, answer: str) -> list[str]:
    """A warning when the question asks for a figure and the answer (citations aside) states none."""
    match = ASKS_FOR_A_FIGURE.search(question)
    if match is None:
        return []
    said = CITATION.sub("", answer)
    if REFUSAL.search(said):  # says it does not know: nothing stated to check
        return []
    if re.search(r"\d", said) or NUMBER_WORDS.search(said):
        return []
    return [f"The question asks “{match.group(0).lower()}”, and the answer states no figure; check the passages."]
