"""Questions an answer from text cannot settle: the most, the least, the deepest of every row.

An answer from text reads the few rows retrieval found (`text_passages`, 4 by default), so "Which lake is the
deepest?" is answered with the deepest of those four: an outside tester's real-model answer named a 130 m lake
the deepest while a passage listed beside it held one of 443 m (session 31). Such a question is flagged by the
router's own cue for rankings ("most", "highest", "top"), or by a superlative ("deepest", "cheapest"); the warning
says what the answer was read from and which path reads every row. Words ending in "est" that are no
superlatives ("interest", "request", "forest") are not cues.
"""

from __future__ import annotations

import re

from ..route import SQL_CUES, _cues

OVER_ALL = {"rankings"}  # not counts: "how many workers did Korvath Mill employ?" is one row's fact
SUPERLATIVE = re.compile(r"\b[a-z]{2,}est\b", re.IGNORECASE)
NOT_SUPERLATIVES = frozenset(
    "best interest interests request requests suggest suggests forest forests honest modest earnest harvest "
    "manifest protest contest guest guests chest west rest nest pest vest zest quest arrest digest invest "
    "ingest test tests latest attest detest conquest bequest priest tempest".split()
)


def over_all_rows(question: str) -> str | None:
    """The word or cue that makes the question one about every row, or None."""
    for word in SUPERLATIVE.findall(question):
        if word.lower() not in NOT_SUPERLATIVES:
            return f"“{word}”"
    cues = [cue for cue in _cues(SQL_CUES, question) if cue in OVER_ALL]
    return cues[0] if cues else None


def partial_read_warning(question: str, passages: int) -> tuple[str, ...]:
    """The warning under an answer from text to a question about every row (none for other questions)."""
    cue = over_all_rows(question)
    if cue is None:
        return ()
    return (
        f"This answer was written from the {passages} passage{'s' if passages != 1 else ''} listed, not from every "
        f"row, and the question asks for {cue} over all of them: only a query (Answer with: SQL) reads every row.",
    )
