"""A read-only query API that can never hand an assistant more than it can hold.

The talk's ChatGPT plugin returned whole results; past the context window the model invented rows. Here a
result is capped twice: at `query_max_rows` rows, and at `query_max_chars` characters of JSON-serialised
rows. Rows are cut whole; only when not even the first row fits are long cells clipped (with a visible
marker). Every cut is named in `note`, so the assistant can say what it did not see instead of guessing.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import permissions
from ..config import Settings, settings_for
from ..context import MIN_CELL_CHARS, json_cell
from ..errors import BadRequest
from ..sql.authorizer import read_policy
from ..sql.clipping import CLIP_MARKER, MAX_CELL_CHARS, MAX_FETCH_CHARS, clip_text
from ..sql.execute import guard_limit, run_select, time_limit_for
from ..sql.guard import check_select_off_loop
from ..sql.results import Rejection, SchemaInfo, SQLRejectedError
from .schema_api import resolve_database, visible_table_names

CELL_CLIP_CHARS = 500  # first clipping limit when a single row is too big; halved until a row fits
MAX_SQL_CHARS = 10_000  # a statement costs up to ~0.1 ms of parsing per character
ADVICE = "Select fewer columns, filter with WHERE, aggregate, or page with LIMIT/OFFSET to see the rest."


class QueryRejected(SQLRejectedError):
    """The SQL guard refused the query; the JSON carries the structured rejection."""

    def to_json(self) -> dict:
        data = super().to_json()
        data["reason"] = self.rejection.reason
        data["rejection"] = self.rejection.to_json()
        return data


def _clip(value, limit: int):
    """(value clipped to `limit` characters, whether it was clipped)."""
    if isinstance(value, str):
        return clip_text(value, limit)
    if isinstance(value, dict) and len(value.get("encoded") or "") > limit:  # a blob (its size in the database)
        size = value.get("bytes") or len(base64.b64decode(value["encoded"]))
        return {"$base64": True, "encoded": None, "bytes": size, "clipped": True}, True
    return value, False


def _size(row) -> int:
    return len(json.dumps(row, ensure_ascii=False))


@dataclass(frozen=True)
class CappedRows:
    """Rows that fit both caps, and an account of what was left out."""

    columns: tuple[str, ...]
    rows: tuple[list, ...]  # JSON-ready
    rows_fetched: int
    more_rows: bool  # the query had more rows than were fetched (the row cap was hit)
    max_rows: int
    max_chars: int
    clipped: dict = field(default_factory=dict)  # column -> (limit in characters, cells clipped)
    chars: int = 2  # len(json.dumps(rows)): what the character cap counts
    fetch_stopped: bool = False  # more_rows because fetching stopped at MAX_FETCH_CHARS, not at max_rows
    # Cells cut as they were fetched (longer than a cell may be held): with a character cap above their size, the
    # result was "All 1 row returned." though its cell was cut (an outside tester, session 36).
    fetch_clipped: int = 0

    @property
    def truncated(self) -> bool:
        return self.more_rows or len(self.rows) < self.rows_fetched or bool(self.clipped) or bool(self.fetch_clipped)

    @property
    def notes(self) -> tuple[str, ...]:
        shown, fetched = len(self.rows), self.rows_fetched
        notes = []
        if self.more_rows or shown < fetched:
            total = f"{fetched:,}+" if self.more_rows else f"{fetched:,}"
            if shown < fetched:
                why = f"the rest did not fit in {self.max_chars:,} characters"
            elif self.fetch_stopped:
                why = f"fetching stops at {MAX_FETCH_CHARS:,} characters of rows"
            else:
                why = f"results are capped at {self.max_rows:,} rows"
            notes.append(f"Showing {shown:,} of {total} rows ({why})")
        for column, (limit, count) in self.clipped.items():
            named = self.columns.count(column)
            where = f"{count:,} row{'s' if count != 1 else ''}"
            if named > 1:
                where = f"{count:,} cell{'s' if count != 1 else ''} of its {named} columns of that name"
            notes.append(f"column {column} clipped to {limit:,} characters in {where} (marked {CLIP_MARKER})")
        if self.fetch_clipped:
            notes.append(
                f"{self.fetch_clipped:,} cell{'s' if self.fetch_clipped != 1 else ''} longer than "
                f"{MAX_CELL_CHARS:,} characters or bytes cut as they were read (text marked {CLIP_MARKER}, blobs "
                "with their whole size in `bytes`)"
            )
        if fetched and not shown:
            notes.append(f"not even one row fits in {self.max_chars:,} characters; select fewer columns")
        return tuple(notes)

    @property
    def note(self) -> str:
        if not self.truncated:
            return f"All {len(self.rows):,} row{'s' if len(self.rows) != 1 else ''} returned."
        return "; ".join(self.notes) + ". " + ADVICE


def _fit(rows: list[list], max_chars: int, limit: int | None):
    """Whole rows, in order, while the JSON array stays within max_chars; cells clipped to `limit` if set."""
    shown, clipped, used = [], {}, 2  # the brackets
    for row in rows:
        cut = []
        if limit is not None:
            out = []
            for index, value in enumerate(row):
                value, was_clipped = _clip(value, limit)
                if was_clipped:
                    cut.append(index)
                out.append(value)
            row = out
        cost = _size(row) + (2 if shown else 0)  # ", " between rows
        if used + cost > max_chars:
            break
        used += cost
        shown.append(row)
        for index in cut:
            clipped[index] = clipped.get(index, 0) + 1
    return shown, clipped, used


def _by_name(columns: tuple[str, ...], limit: int, clipped: dict[int, int]) -> dict:
    """Column name -> (limit, cells clipped), the cells of columns of one name together: keyed by name alone, a
    join's `u.name, r.name` told of the second column's cells only (4 cells cut, "in 1 row"; an outside tester,
    session 53)."""
    named: dict = {}
    for place, count in sorted(clipped.items()):
        named[columns[place]] = (limit, named.get(columns[place], (limit, 0))[1] + count)
    return named


def cap_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    max_rows: int,
    max_chars: int,
    more_rows: bool = False,
    cell_chars: int = CELL_CLIP_CHARS,
    fetch_stopped: bool = False,
    fetch_clipped: Sequence[int] = (),
) -> CappedRows:
    """At most `max_rows` rows whose JSON array is at most `max_chars` characters long (`fetch_stopped`: the query
    has more rows, but fetching stopped at MAX_FETCH_CHARS before `max_rows`; `fetch_clipped`: cells cut as they
    were fetched, row by row: run_select's clipped_by_row)."""
    columns = tuple(str(c) for c in columns)
    more_rows = more_rows or len(rows) > max_rows
    fetched = [[json_cell(v) for v in row] for row in rows[:max_rows]]
    shown, clipped, used = _fit(fetched, max_chars, None)
    limit = max(MIN_CELL_CHARS, cell_chars)
    while fetched and not shown:  # not even the first row fits whole: clip long cells, harder if needed
        shown, clipped, used = _fit(fetched, max_chars, limit)
        if shown or limit <= MIN_CELL_CHARS:
            break
        limit = max(MIN_CELL_CHARS, limit // 2)
    return CappedRows(
        columns=columns,
        rows=tuple(shown),
        rows_fetched=len(fetched),
        more_rows=more_rows,
        max_rows=max_rows,
        max_chars=max_chars,
        clipped=_by_name(columns, limit, clipped),
        chars=used,
        fetch_stopped=fetch_stopped,
        # Of the rows shown, the first ones fetched: "3 cells ... cut" of rows left out under the character cap misled
        # a reader of the whole rows shown (an outside tester, session 53). Cells clipped again here are told of.
        fetch_clipped=0 if clipped else sum(fetch_clipped[: len(shown)]),
    )


@dataclass(frozen=True)
class CappedResult:
    database: str
    sql: str  # what ran (a LIMIT may have been added)
    capped: CappedRows
    limit_added: bool
    seconds: float

    def to_json(self) -> dict:
        capped = self.capped
        return {
            "ok": True,
            "truncated": capped.truncated,
            "note": capped.note,
            "notes": list(capped.notes),
            "database": self.database,
            "sql": self.sql,
            "columns": list(capped.columns),
            "row_count": len(capped.rows),
            "rows_fetched": capped.rows_fetched,
            "more_rows": capped.more_rows,
            "clipped": {c: {"limit": limit, "cells": n} for c, (limit, n) in capped.clipped.items()},
            "limits": {"max_rows": capped.max_rows, "max_chars": capped.max_chars},
            "chars": capped.chars,
            "limit_added": self.limit_added,
            "seconds": round(self.seconds, 4),
            "rows": list(capped.rows),
        }


def check_sql_text(sql) -> str:
    if not isinstance(sql, str) or not sql.strip():
        raise BadRequest("Provide one read-only SQL SELECT query as sql.")
    if len(sql) > MAX_SQL_CHARS:
        raise BadRequest(f"The SQL is {len(sql):,} characters long; the limit is {MAX_SQL_CHARS:,}.")
    return sql


async def run_capped_query(
    datasette, actor, database: str | None, sql: str, *, settings: Settings | None = None
) -> CappedResult:
    """Run one read-only SELECT as `actor` and return rows capped by count and by characters.

    404 for a database the actor cannot see, 403 without execute-sql, 400 (QueryRejected, with reason,
    identifier and suggestions) for anything but one SELECT over tables the actor may view.
    """
    started = time.perf_counter()
    settings = settings or settings_for(datasette)
    sql = check_sql_text(sql)
    database = await resolve_database(datasette, actor, database)
    db = await permissions.require_execute_sql(datasette, actor, database)
    allowed = set(await visible_table_names(datasette, actor, database))
    # The policy run_select will use (cached per schema version), so it is built once for both walls.
    schema = await db.execute_fn(
        lambda conn: SchemaInfo.from_connection(conn, include=allowed, policy=read_policy(conn, db, allowed))
    )
    checked = await check_select_off_loop(
        sql, schema, max_rows=guard_limit(settings.query_max_rows), allowed_tables=allowed
    )
    if isinstance(checked, Rejection):
        raise QueryRejected(checked)
    result = await run_select(
        db,
        checked.sql,
        allowed_tables=allowed,
        max_rows=settings.query_max_rows,
        time_limit_ms=time_limit_for(datasette, settings.sql_time_limit_ms),
    )
    capped = cap_rows(
        result.columns,
        result.rows,
        max_rows=settings.query_max_rows,
        max_chars=settings.query_max_chars,
        more_rows=result.hit_row_cap,
        fetch_stopped=result.stopped_at_chars,
        fetch_clipped=result.clipped_by_row,
    )
    return CappedResult(database, checked.sql, capped, checked.limit_added, time.perf_counter() - started)
