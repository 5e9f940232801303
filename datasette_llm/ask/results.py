"""What one question's run produces: AskResult (serialised in one place, `to_json`), and the records of
its attempts, sampled candidates and queries on their way through the pipeline."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..context import json_cell
from ..sql.execute import QueryResult
from ..sql.results import GuardedSQL


@dataclass(frozen=True)
class Attempt:
    reply: str
    sql: str | None
    error: str | None = None
    error_kind: str | None = None
    suggestions: tuple[str, ...] = ()
    row_count: int | None = None
    seconds: float = 0.0
    fixes: tuple[str, ...] = ()  # names corrected without asking the model again


@dataclass(frozen=True)
class Candidate:
    """One sampled query when several vote (setting sql_candidates): the chosen one is the answer's SQL."""

    sql: str | None
    error: str | None
    row_count: int | None
    votes: int
    chosen: bool


@dataclass(frozen=True)
class Outcome:
    """What became of one query the model wrote: validated, mended, run, or the reason it could not be."""

    guarded: GuardedSQL | None = None
    result: QueryResult | None = None
    error: str | None = None
    kind: str | None = None
    suggestions: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    doubts: tuple[str, ...] = ()  # JOINs that link nothing, when the query ran anyway (last attempt)


@dataclass(frozen=True)
class MendedRun:
    """A query that ran, after the mends that need no model call, and what those mends changed."""

    guarded: GuardedSQL
    result: QueryResult
    fixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AskResult:
    question: str
    database: str
    path: str
    sql: str | None
    attempts: tuple[Attempt, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    row_count: int
    truncated: bool
    notes: tuple[str, ...]
    answer: str | None
    model: str
    timings: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    error: str | None = None
    warnings: tuple[str, ...] = ()
    route: dict = field(default_factory=dict)
    citations: tuple[dict, ...] = ()
    passages: tuple[dict, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    examples: tuple[dict, ...] = ()  # the trusted examples and canned queries the SQL prompt showed (Shots.to_json)
    row_cap_hit: bool = False  # the query returned more rows than were fetched (`truncated` also covers fitting)
    limit_added: bool = False  # the guard added `LIMIT max_rows + 1` (sql.execute.guard_limit) to the SQL

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["rows"] = json_rows(self.rows)
        data["attempts"] = [asdict(a) for a in self.attempts]
        data["candidates"] = [asdict(c) for c in self.candidates]
        return data


def json_rows(rows) -> list[list]:
    """Rows as JSON-ready lists (the one cell encoder: blobs as Datasette writes them, no NaN or Infinity)."""
    return [[json_cell(value) for value in row] for row in rows]
