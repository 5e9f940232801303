"""A query written with trusted examples that still stands with a doubt is written again without them.

The examples' breaks on Spider were mostly forms copied where they do not fit (a JOIN off the foreign keys),
which the logic doubts flag and the model kept when sent back once. The query written without examples stands
instead when no doubt remains about it (ask/examples_stage.py).
"""

from __future__ import annotations

from collections.abc import Sequence


def written_again_without_examples(examples: Sequence, doubts: Sequence[str]) -> bool:
    """Whether the query that stood, written with these examples and left with these doubts, is written again
    without examples."""
    return bool(examples) and bool(doubts)


def stands_instead(query, doubts: Sequence[str]) -> bool:
    """Whether the query written again without examples stands instead of the doubted one: it was written, and
    nothing about it is doubted."""
    return query is not None and not doubts
