"""Pure ranking helpers: a safe full-text query from free text, and fusing keyword and vector rankings."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

# Fusion defaults, tuned on the 809 SciFact train claims (benchmarks/search.py prints the grid): min-max
# scaled scores averaged 50/50 scored nDCG@10 0.720 (0.702 and 0.738 on held-out halves) where plain RRF
# (k=60) scored 0.692 and the best weighted RRF (k=1, 0.45) 0.716. Scores carry how decisive a ranking is;
# ranks throw that away.
FUSION_METHOD = "minmax"
RRF_K = 60
SEMANTIC_WEIGHT = 0.5
CANDIDATES = 100  # depth of each ranking fed into the fusion


def fts_query(text: str) -> str | None:
    """Each word as a quoted FTS phrase, OR-ed: user text never reaches FTS syntax (NEAR, -, *, column:)."""
    seen: dict[str, None] = {}
    for word in re.findall(r"\w+", text.lower()):
        seen.setdefault(word, None)
    if not seen:
        return None
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in seen)


@dataclass(frozen=True)
class Fused:
    key: Hashable
    score: float
    semantic_rank: int | None
    keyword_rank: int | None
    semantic_score: float | None
    keyword_score: float | None


def fuse(
    semantic: Sequence[tuple[Hashable, float]],
    keyword: Sequence[tuple[Hashable, float]],
    *,
    method: str = FUSION_METHOD,
    k: float = RRF_K,
    weight: float = SEMANTIC_WEIGHT,
) -> list[Fused]:
    """Combine two rankings (each best first, as (key, score)) into one, best first.

    "rrf": weighted reciprocal rank fusion, `weight / (k + rank_semantic) + (1 - weight) / (k + rank_keyword)`
    (ranks from 1; a ranking that lacks the item contributes nothing). "minmax": each ranking's scores scaled
    to 0..1 over its candidates, then `weight * semantic + (1 - weight) * keyword`.
    """
    if method not in ("rrf", "minmax"):
        raise ValueError(f"Unknown fusion method {method!r}")
    sem = {key: (rank, score) for rank, (key, score) in enumerate(semantic, 1)}
    kw = {key: (rank, score) for rank, (key, score) in enumerate(keyword, 1)}
    sem_scale = _scale([s for _, s in semantic])
    kw_scale = _scale([s for _, s in keyword])
    fused = []
    for key in list(sem) + [key for key in kw if key not in sem]:
        s_rank, s_score = sem.get(key, (None, None))
        k_rank, k_score = kw.get(key, (None, None))
        if method == "rrf":
            score = (weight / (k + s_rank) if s_rank else 0.0) + ((1 - weight) / (k + k_rank) if k_rank else 0.0)
        else:
            score = (weight * sem_scale(s_score) if s_rank else 0.0) + (
                (1 - weight) * kw_scale(k_score) if k_rank else 0.0
            )
        fused.append(Fused(key, score, s_rank, k_rank, s_score, k_score))
    fused.sort(key=lambda item: (-item.score, item.semantic_rank or 10**9, item.keyword_rank or 10**9))
    return fused


def _scale(scores: list[float]):
    if not scores:
        return lambda value: 0.0
    low, high = min(scores), max(scores)
    if high == low:
        return lambda value: 1.0
    return lambda value: (value - low) / (high - low)
