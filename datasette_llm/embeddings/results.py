"""What a search returns: the hits, each a row with its scores, and the result around them, as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SearchHit:
    database: str
    table: str  # the table the row lives in (or the collection name when no such table exists)
    id: str  # the embeddings id: the primary key as llm stores it
    pk: tuple  # primary key values
    score: float
    row: dict  # the row's columns, long values clipped
    url: str | None  # the row page
    semantic_score: float | None = None  # cosine similarity, when the vector ranking found it
    semantic_rank: int | None = None
    keyword_rank: int | None = None
    columns_left_out: int = 0  # the row's columns not shown (embeddings/hits.py: HIT_COLUMNS, HIT_CHARS)
    key_columns: tuple[str, ...] = ()  # the names of `pk`'s columns in `row` (not in the JSON: `pk` has the values)

    def to_json(self) -> dict:
        return {
            "database": self.database,
            "table": self.table,
            "id": self.id,
            "pk": list(self.pk),
            "score": round(self.score, 6),
            "url": self.url,
            "row": self.row,
            "semantic_score": None if self.semantic_score is None else round(self.semantic_score, 6),
            "semantic_rank": self.semantic_rank,
            "keyword_rank": self.keyword_rank,
            "columns_left_out": self.columns_left_out,
        }


@dataclass(frozen=True)
class SearchResult:
    q: str
    mode: str
    limit: int
    hits: tuple[SearchHit, ...]
    model: str | None  # embedding model used for the query (None for keyword-only)
    searched: tuple[str, ...]  # "database/table" of every collection searched
    timings: dict = field(default_factory=dict)  # seconds per stage
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "ok": True,
            "q": self.q,
            "mode": self.mode,
            "limit": self.limit,
            "model": self.model,
            "hits": [hit.to_json() for hit in self.hits],
            "searched": list(self.searched),
            "timings": dict(self.timings),
            "notes": list(self.notes),
        }
