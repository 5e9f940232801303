"""Fit query results into the model's token budget, cutting at row boundaries, with explicit notes.

The talk's failure was a result bigger than the context window, after which the model invented rows. Here
the model only ever sees whole rows that fit, long cells are clipped with a visible marker, and the notes
say exactly what was left out, so the answer can say so too.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .sql.clipping import ClippedBlob, blob_size, clip_text

MIN_CELL_CHARS = 24
MAX_NAMED_CLIPS = 3  # clipped columns the notes name one by one; the rest are counted
NOTE_NAME_CHARS = 40
# Every line ending of str.splitlines() (and so, perhaps, of whoever reads the prompt): database text must not start
# a line in a prompt where the prompt does not (the passages of text answers use it too).
LINE_END = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# Those, tabs and the other control characters: a cell is one line of the rows text (a forged "Notes:" line).
LINE_BREAKS = re.compile(LINE_END.pattern + r"|[\x00-\x1f\x7f]")


def json_cell(value):
    """A SQLite value as JSON, the one encoder of every response: blobs as Datasette writes them
    ({"$base64": true, ...}), no NaN or Infinity (not JSON; they become "nan", "inf", "-inf")."""
    if isinstance(value, bytes):
        encoded = {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
        if isinstance(value, ClippedBlob):  # its first bytes, and how long it is in the database
            encoded.update(bytes=value.size, clipped=True)
        return encoded
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


@dataclass(frozen=True)
class FittedRows:
    text: str  # what the model is shown
    rows_shown: int
    rows_fetched: int
    total_rows: int | None  # None when the query was cut at the row cap and the true count is unknown
    clipped: dict  # column's place -> (limit in characters, number of cells clipped)
    notes: tuple[str, ...]
    tokens: int
    header: str = ""  # the first line of `text`: the column names, as shown

    @property
    def truncated(self) -> bool:
        return self.rows_shown < self.rows_fetched or bool(self.clipped) or self.total_rows is None


def real_text(value: float) -> str:
    """A REAL to 15 significant digits, as SQLite prints one (printf's %!.15g; SQLite is one off in the last
    digit for a few very large or small values, this rounds correctly): a sum of prices is 37.62, not
    37.620000000000005.
    The digits beyond the 15th are binary noise, and a local model reads a token per digit (issue 19)."""
    text = format(value, ".15g")
    if math.isfinite(value) and not any(mark in text for mark in ".en"):
        text += ".0"
    return text


# Text that reads as what render_cell writes for a NULL or a blob is quoted: the text 'NULL' and a NULL made
# the same prompt (an outside tester, session 40), and a model answering about missing values could not tell them.
_LIKE_OURS = re.compile(r"\s*(?:NULL|<binary, [\d,]+ bytes>)\s*")


def render_cell(value, limit: int) -> tuple[str, bool]:
    if value is None:
        return "NULL", False
    if isinstance(value, bytes):
        return f"<binary, {blob_size(value)} bytes>", False
    if isinstance(value, float):
        text = real_text(value)
    else:
        text = str(value)
        if isinstance(value, str) and _LIKE_OURS.fullmatch(text):
            text = json.dumps(text, ensure_ascii=False)
    text = LINE_BREAKS.sub(" ", text).replace("|", "¦")
    return clip_text(text, limit)


def _render(columns, rows, limit):
    lines = [" | ".join(columns)]
    clipped: dict[int, int] = {}  # by place: two long names can be clipped to the same text
    for row in rows:
        cells = []
        for place, value in enumerate(row[: len(columns)]):
            text, was_clipped = render_cell(value, limit)
            if was_clipped:
                clipped[place] = clipped.get(place, 0) + 1
            cells.append(text)
        lines.append(" | ".join(cells))
    return lines, clipped


def _columns_that_fit(columns: list[str], first: list[str], count_tokens, budget_tokens: int) -> int:
    """How many of the first columns leave room for their names and the first row (at least one)."""
    width = len(columns)
    while width > 1:
        cost = count_tokens(" | ".join(columns[:width])) + count_tokens(" | ".join(first[:width])) + 2
        if cost <= budget_tokens:
            break
        width -= 1
    return width


def notes_line(notes: Sequence[str]) -> str:
    """The notes as the answer prompt carries them (empty when there are none)."""
    return ("Notes: " + "; ".join(notes) + "\n") if notes else ""


def fit_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    max_cell_chars: int = 200,
    hit_row_cap: bool = False,
    left_out: str = "did not fit in the model's context",
) -> FittedRows:
    """Whole rows, in order, as many as fit in `budget_tokens` together with their notes (notes_line); long cells
    clipped to `max_cell_chars`.

    If not even one row fits, cells are clipped harder (down to MIN_CELL_CHARS) before giving up on rows.
    `hit_row_cap` means the query itself returned more rows than were fetched; `left_out` says why rows that
    do not fit the budget are left out (the notes repeat it). The notes name at most MAX_NAMED_CLIPS clipped
    columns (an outside tester's 60 columns of 244-character names made the notes alone overflow the window).
    """
    fitted = _fit_rows(columns, rows, count_tokens, budget_tokens, max_cell_chars, hit_row_cap, left_out)
    reserve = 0
    for _ in range(4):  # the notes change little with the rows they describe: this settles in one or two rounds
        cost = count_tokens(notes_line(fitted.notes))
        if fitted.tokens + cost <= budget_tokens:
            break
        reserve = max(cost, reserve + 1)
        try:
            fitted = _fit_rows(
                columns, rows, count_tokens, budget_tokens - reserve, max_cell_chars, hit_row_cap, left_out
            )
        except ValueError:  # no room for rows beside their notes: the caller's window check decides
            break
    return fitted


def _fit_rows(columns, rows, count_tokens, budget_tokens, max_cell_chars, hit_row_cap, left_out) -> FittedRows:
    names = [str(c) for c in columns]
    limit = max(MIN_CELL_CHARS, max_cell_chars)
    while True:
        # A name is clipped as a cell is (a model's alias, or an expression as its own name, can be 12 KB: an
        # outside attacker's model made that a 500); names that still do not fit leave their columns out.
        columns = [render_cell(name, limit)[0] for name in names]
        first = [render_cell(value, limit)[0] for value in rows[0]] if rows else []
        width = _columns_that_fit(columns, first, count_tokens, budget_tokens)
        header_lines, _ = _render(columns[:width], [], limit)
        used = count_tokens(header_lines[0]) + 1
        if used > budget_tokens and limit > MIN_CELL_CHARS:
            limit = max(MIN_CELL_CHARS, limit // 2)
            continue
        if used > budget_tokens:
            raise ValueError("the context budget is too small for even one column name")
        shown_lines = [header_lines[0]]
        clipped: dict[int, int] = {}
        for row in rows:
            lines, row_clipped = _render(columns[:width], [row[:width]], limit)
            cost = count_tokens(lines[1]) + 1
            if used + cost > budget_tokens:
                break
            used += cost
            shown_lines.append(lines[1])
            for place, n in row_clipped.items():
                clipped[place] = clipped.get(place, 0) + n
        rows_shown = len(shown_lines) - 1
        if (rows_shown > 0 and width == len(columns)) or (rows_shown > 0 and limit <= MIN_CELL_CHARS):
            break
        if not rows or limit <= MIN_CELL_CHARS:
            break
        limit = max(MIN_CELL_CHARS, limit // 2)

    total = None if hit_row_cap else len(rows)
    notes = []
    if total is None:
        notes.append(f"{rows_shown:,} of more than {len(rows):,} rows shown (the query was cut at {len(rows):,} rows)")
    elif rows_shown < len(rows):
        notes.append(f"{rows_shown:,} of {len(rows):,} rows shown; the rest {left_out}")
    if width < len(columns):
        notes.append(f"only the first {width:,} of {len(columns):,} columns were shown (their names are long)")
    for place, count in list(clipped.items())[:MAX_NAMED_CLIPS]:
        name = clip_text(columns[place], NOTE_NAME_CHARS)[0]
        notes.append(f"{name} clipped to {limit:,} characters in {count:,} of {rows_shown:,} rows")
    if len(clipped) > MAX_NAMED_CLIPS:
        notes.append(f"cells of {len(clipped) - MAX_NAMED_CLIPS:,} more columns clipped to {limit:,} characters")
    return FittedRows(
        text="\n".join(shown_lines),
        rows_shown=rows_shown,
        rows_fetched=len(rows),
        total_rows=total,
        clipped={place: (limit, count) for place, count in clipped.items()},
        notes=tuple(notes),
        tokens=used,
        header=shown_lines[0],
    )
