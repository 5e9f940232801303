"""Dates SQLite cannot read: `strftime('%Y', published) = '2024'` over '03/05/2024' or 'March 5, 2024'.

SQLite's date functions (strftime, date, time, datetime, julianday, unixepoch) read a time value written as
YYYY-MM-DD (a time may follow), or a number (a Julian day; Unix seconds with 'unixepoch' or 'auto'); anything else
they turn into NULL without an error. A query that counts, filters or groups by such a call over a column holding
other forms leaves those rows out, or counts them as NULL, and the rows look right: the date-part mend's
`CAST(strftime('%Y', published, 'auto') AS INTEGER) = 2024` counted 0 over '03/05/2024' (session 55). Whether a
column the query passes to one of them holds such values is asked of the data: one probe per column (up to 4)
runs the query's own call, with the column's value in its place, over the column's values among its table's first
10,000 rows, and counts those that are neither NULL nor blank whose call is NULL. Then a warning says how many,
with one of them.

Only shown, like numbers stored as text: the query is not changed nor sent back (what such a value means, the 3rd
of May or the 5th of March, the data does not say).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.join_links import stored_column
from ...sql.names import quote_name
from ...sql.parsing import parse_one
from .value_hints import Probe

FUNCTIONS = frozenset(("strftime", "date", "time", "datetime", "julianday", "unixepoch"))
MAX_COLUMNS = 4  # columns probed for one query
SAMPLED = 10_000  # rows of the column's table looked at
SHOWN = 40  # characters of the value the warning quotes
VALUE = "v"  # the name the probe gives the column's value


def _function_name(node: exp.Expression) -> str | None:
    """The SQLite function a call node is, lower case (sqlglot gives strftime, date() and the rest node types of
    their own)."""
    if not isinstance(node, exp.Func):
        return None
    written = re.match(r"(\w+)\(", node.sql(dialect="sqlite"))
    return written.group(1).lower() if written else None


def _time_value(node: exp.Func) -> exp.Expression | None:
    """The argument a date function reads as its time value: strftime's second, the others' first (sqlglot keeps a
    call it has no node type for in written order, and gives strftime of two arguments its time value first)."""
    if isinstance(node, exp.Anonymous):
        arguments = node.expressions
        position = 1 if _function_name(node) == "strftime" else 0
        return arguments[position] if len(arguments) > position else None
    return node.this


def _as_written(argument: exp.Expression) -> exp.Expression:
    """An argument as the SQL has it: sqlglot wraps strftime's time value in a node that writes nothing of its own
    (TsOrDsToTimestamp around the column)."""
    while not isinstance(argument, exp.Column):
        inner = list(argument.iter_expressions())
        if len(inner) != 1 or argument.sql(dialect="sqlite") != inner[0].sql(dialect="sqlite"):
            break
        argument = inner[0]
    return argument


def date_calls(tree: exp.Expression, columns: dict[str, Sequence[str]]) -> list[tuple[str, str, str, str]]:
    """(table, column, the call as written, the call with the column's value as `v`) for each call of a date
    function whose time value is a column of a table and whose other arguments are constants, each column once."""
    found, seen = [], set()
    for node in tree.find_all(exp.Func):
        if _function_name(node) not in FUNCTIONS:
            continue
        written = [_as_written(argument) for argument in node.iter_expressions()]
        read = [index for index, argument in enumerate(written) if isinstance(argument, exp.Column)]
        if len(read) != 1 or any(not isinstance(argument, (exp.Column, exp.Literal)) for argument in written):
            continue
        time_value = _time_value(node)
        if time_value is None or _as_written(time_value) is not written[read[0]]:
            continue  # a column in a modifier's place (`date('now', shift)`): not a date (session 57's tester)
        column = written[read[0]]
        stored = stored_column(column, columns)
        if stored is None or (stored[0], stored[1].lower()) in seen:
            continue
        table, real = stored
        seen.add((table, real.lower()))
        call = node.copy()
        list(call.iter_expressions())[read[0]].replace(exp.column(VALUE))  # the same place in the copy
        found.append((table, real, node.sql(dialect="sqlite"), call.sql(dialect="sqlite")))
    return found[:MAX_COLUMNS]


def _probe_sql(table: str, column: str, call: str) -> str:
    """How many of the column's values (among its table's first rows) are neither NULL nor blank but read as NULL by
    the call, the smallest of them, and whether the table has more rows than were looked at."""
    rows = f"select {quote_name(column)} as {VALUE} from {quote_name(table)} limit {SAMPLED}"
    more = f"(select count(*) > {SAMPLED} from (select 1 from {quote_name(table)} limit {SAMPLED + 1}))"
    return (
        f"select count(*), min({VALUE}), {more} from ({rows}) "
        f"where {VALUE} is not null and trim({VALUE}) <> '' and {call} is null"
    )


def _shown(value) -> str:
    if isinstance(value, bytes):
        return "a BLOB"
    text = str(value)
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "…")


async def unread_dates(probe: Probe, sql: str, columns: dict[str, Sequence[str]]) -> list[str]:
    """Warnings for the columns this query passes to SQLite's date functions that hold values those functions read
    as NULL; empty if none (or if a probe could not tell in time). The query is read off the event loop."""
    try:
        tree = await asyncio.to_thread(parse_one, sql)
    except sqlglot.errors.SqlglotError:
        return []
    warnings = []
    for table, column, written, call in await asyncio.to_thread(date_calls, tree, columns):
        try:
            rows = await probe.rows(_probe_sql(table, column, call), 1)
        except (QueryFailed, QueryTimeout):
            continue
        if not rows or not rows[0][0]:
            continue
        count, example, more = rows[0]
        among = f" among its table's first {SAMPLED:,} rows" if more else ""
        warnings.append(
            f"{written} is NULL for {count:,} value{'s' if count != 1 else ''} of {column}{among} (such as "
            f"{_shown(example)}): SQLite reads dates written YYYY-MM-DD (a time may follow) or as numbers, and "
            "the rows with other forms were left out or counted as NULL"
        )
    return warnings
