"""Names a question asks about that no passage mentions: the answer is then about something else.

Retrieval always returns the rows most like the question, so a question about "Korvath Mill" when the data has no
such mill retrieves "Korara Mill", and a small model answers with Korara's figures as if they were Korvath's (an
outside tester, session 31: 1 of 6 questions about things not in the data). The names looked for are a
question's proper names as writers mark them: two or more capitalised words in a row ("Korvath Mill", "Lake
Senna"), or one capitalised word of four letters or more ("Polira"); the word that opens the question or a
sentence in it is not a name on its own account, nor are all-capital words ("README", "CSV"). A name counts as
mentioned when a passage holds its words in order, compared as name_match compares names (case and separators
alike), so "shot-scraper" is "Shot Scraper".
"""

from __future__ import annotations

import re

from .name_match import normalise

WORD = re.compile(r"[^\W\d_][\w'’-]*")
MIN_SINGLE = 4


def question_names(question: str) -> list[str]:
    """The question's proper names, in order, as written."""
    names, run = [], []
    last_end = 0  # where the word before ended (0: none yet)
    for match in WORD.finditer(question):
        word, start, end = match.group(0), match.start(), match.end()
        gap = question[last_end:start].strip()  # what stands between this word and the one before
        # The first word of the question or of a sentence in it is capitalised whatever it is ("Give both").
        opens = gap[-1] in ".!?:;" if gap else last_end == 0
        last_end = end
        capital = word[0].isupper() and not word.isupper()
        joined = run and not gap  # only spaces since the run's last word: one name
        if capital and not opens and (not run or joined):
            run.append((word, start, end))
            continue
        names += _name(question, run)
        run = [(word, start, end)] if capital and not opens else []
    names += _name(question, run)
    return list(dict.fromkeys(names))


def _name(question: str, run: list) -> list[str]:
    if len(run) >= 2 or (len(run) == 1 and len(run[0][0]) >= MIN_SINGLE):
        return [question[run[0][1] : run[-1][2]]]
    return []


def unmentioned_names(question: str, passage_texts) -> list[str]:
    """The question's proper names that no passage mentions."""
    names = question_names(question)
    if not names:
        return []
    texts = [f" {normalise(text)} " for text in passage_texts]
    return [name for name in names if not any(f" {normalise(name)} " in text for text in texts)]
