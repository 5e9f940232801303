"""Rows tied at the query's LIMIT: `ORDER BY COUNT(*) DESC LIMIT 1` for "the artist with the most albums" when two
artists have the most.

SQLite keeps the first n rows of its order and leaves out the rest, and among rows that sort alike no order is
defined: the row shown is then one of several, picked by how SQLite happened to read them, and an answer written
from it calls it the only one. Whether rows tie at the cut is asked of the data: one probe (through the guarded
path, value_hints.Probe) reads the query's ORDER BY values alone, its LIMIT a little further, and compares the
last row shown with the rows after it. The sorted values do not depend on which of the tied rows SQLite puts
first, so the probe sees the cut as the query did. Values the fetch cut (cells past 100,000 characters) cannot be
compared: then nothing is said.

The query is not changed nor sent back: the question may want one row whatever ties ("name a ..."), and Spider's
gold queries keep `LIMIT 1` over ties in 28 of their 93 superlatives (a query returning every tied row would then
score wrong). The note says how many rows the LIMIT left out tie with the last row shown; the answer prompt carries
it, so the model can say the row shown is one of several, and the result shows it. Only a plain top-level SELECT
with its own ORDER BY and an integer LIMIT (no OFFSET, no DISTINCT: extra columns would change its rows), whose
result is exactly its LIMIT long. Comparison is Python's: ties under a collation (NOCASE) are not found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.parsing import parse_one
from .order_keys import ordered_value
from .value_hints import Probe

MORE = 100  # rows past the LIMIT the probe reads: more ties than that are stated as "at least"
KEY = "__tied_{}"


@dataclass(frozen=True)
class Ties:
    """Rows past the LIMIT that sort like the last row shown."""

    limit: int
    keys: str  # the ORDER BY, as written
    more: int  # rows the LIMIT left out that tie with the last one shown
    at_least: bool  # `more` is only what the probe read
    total: int  # rows sharing the last shown row's ORDER BY values, shown or not (at least, when at_least)

    def note(self) -> str:
        more = f"at least {self.more}" if self.at_least else f"{self.more}"
        rows = "row that ties" if self.more == 1 and not self.at_least else "rows that tie"
        last = "the row shown" if self.limit == 1 else "the last row shown"
        total = f"at least {self.total}" if self.at_least else f"{self.total}"
        return (
            f"the query's LIMIT {self.limit} left out {more} more {rows} with {last} on {self.keys} ({total} rows "
            f"in all share its value): {last} is one of them, picked in no particular order"
        )

    def counts(self) -> tuple[int, ...]:
        """The numbers the note states (the numbers check takes them as shown)."""
        return (self.more, self.total)


def plan(sql: str, row_cap: int) -> tuple[str, int, str] | None:
    """(the probe's SQL, whose rows are the ORDER BY values; the query's LIMIT; the ORDER BY as written), or None
    when the query is not one this reads."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(tree, exp.Select) or tree.args.get("distinct") or tree.args.get("offset"):
        return None
    order, limit = tree.args.get("order"), tree.args.get("limit")
    if order is None or limit is None or limit.args.get("offset") is not None:
        return None
    count = limit.expression
    if not (isinstance(count, exp.Literal) and count.is_int) or not 1 <= int(count.this) < row_cap:
        return None
    n = int(count.this)
    projections = list(tree.expressions)
    if any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and p.is_star) for p in projections):
        return None  # the probe cannot tell where `*` ends
    probe = tree.copy()
    added = []
    for ordered in order.expressions:  # ORDER BY 2 or an output column's alias: that column's expression
        added.append(exp.alias_(ordered_value(ordered).copy(), KEY.format(len(added))))
    probe.set("expressions", projections + added)
    probe.set("limit", exp.Limit(expression=exp.Literal.number(n + MORE)))
    # Only the ORDER BY values come back (the query's own columns stay inside, so its GROUP BY 1 and aliases still
    # mean what they meant): with the whole rows, long cells filled the fetch cap after 20 rows, which the count
    # took for all the rows there were (an outside tester, session 55: "20 rows in all" for 60).
    outer = exp.select(*[exp.column(KEY.format(i)) for i in range(len(added))]).from_(probe.subquery("q"))
    keys = ", ".join(ordered.this.sql(dialect="sqlite") for ordered in order.expressions)
    return outer.sql(dialect="sqlite"), n, keys


def count_ties(rows: Sequence[Sequence], n: int, keys: str = "") -> Ties | None:
    """The ties at the cut after row n of the probe's rows, each the ORDER BY values of one (None when the row after
    the cut sorts otherwise)."""
    if len(rows) <= n:
        return None
    last = tuple(rows[n - 1])
    more = 0
    while n + more < len(rows) and tuple(rows[n + more]) == last:
        more += 1
    if not more:
        return None
    shown = 0
    while shown < n and tuple(rows[n - 1 - shown]) == last:
        shown += 1
    at_least = len(rows) == n + MORE and n + more == len(rows)  # the probe's last row still ties
    return Ties(limit=n, keys=keys, more=more, at_least=at_least, total=shown + more)


async def tied_rows(probe: Probe, sql: str, shown: int, row_cap: int) -> Ties | None:
    """The rows the query's LIMIT left out that tie with the last of the `shown` rows on its ORDER BY, or None
    (none tie, the query is not one this reads, or the probe could not tell in time)."""
    planned = await asyncio.to_thread(plan, sql, row_cap)
    if planned is None:
        return None
    probe_sql, n, keys = planned
    if shown != n:
        return None  # fewer rows than the LIMIT: nothing was cut
    try:
        read = await probe.result(probe_sql, n + MORE)
    except (QueryFailed, QueryTimeout):
        return None
    if read.stopped_at_chars or read.clipped_cells:
        return None  # values cut as they were fetched: two that differ past the cut would read as a tie
    return count_ties(read.rows, n, keys)
