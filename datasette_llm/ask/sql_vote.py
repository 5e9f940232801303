"""Self-consistency for SQL: several candidate queries, run; the result most of them agree on wins.

Candidates that failed (rejected, errored) do not vote. Ties go to the group holding the first candidate,
the greedy (temperature 0) one, so voting can only change the answer when a majority disagrees with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..sql.execute import QueryResult


def result_signature(result: QueryResult) -> tuple:
    """Order-insensitive fingerprint of a result (column names ignored): what candidates vote with."""
    return tuple(sorted(Counter(tuple(map(repr, row)) for row in result.rows).items()))


def choose(signatures: Sequence[tuple | None]) -> tuple[int, int]:
    """(index of the chosen candidate, its votes). signatures[0] is the greedy candidate; None: failed."""
    votes = Counter(s for s in signatures if s is not None)
    if not votes:
        return 0, 0
    best = max(votes.values())
    for index, signature in enumerate(signatures):  # first in order among the tied: greedy wins ties
        if signature is not None and votes[signature] == best:
            return index, best
    return 0, 0  # pragma: no cover - unreachable: some signature has the best count
