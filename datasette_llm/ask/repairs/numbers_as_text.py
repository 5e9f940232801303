"""Numbers stored as text, ordered or compared as text: `ORDER BY price DESC` over '99', '100' and '1500'.

A column without a numeric type keeps '100' as text (a CSV imported as it is: sqlite-utils does so unless told to
detect types), and SQLite orders and compares text character by character: '99' comes after '1500', MAX(price) is
'99', and `price > 500` keeps '99' ('9' > '5') and drops '1500'. The rows are the ones the database returned, so no
check of the answer sees it. Whether a column the query orders by, takes the MAX or MIN of, or compares with a
number holds such values is asked of the data: one probe per column (up to 4) sorts the first 1,000 of its values
stored as text that are plain numbers (digits, a sign, a point), among its table's first 10,000 rows, as text,
and looks for one that is a smaller number than the value before it. Then text order and number order differ, and
a warning says so with the pair and the CAST to write. Values that order alike either way ('07' < '12', or one
value) are left alone.

The query is not changed nor sent back: Spider's gold queries order such a column as text (car_1's Horsepower,
ranked `ORDER BY horsepower`), and a warning is what the reader needs to judge the rows in front of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.join_links import stored_column
from ...sql.names import quote_name
from ...sql.parsing import parse_one
from .order_keys import ordered_value
from .value_hints import Probe

MAX_COLUMNS = 4  # columns probed for one query
READ = 1000  # text values read from a column
SAMPLED = 10_000  # rows of its table looked at for them: a probe costs milliseconds on a table of millions
COMPARISONS = (exp.GT, exp.GTE, exp.LT, exp.LTE)


def _numeric(node: exp.Expression) -> bool:
    return (
        isinstance(node, exp.Literal)
        and not node.is_string
        or (isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string)
    )


def ordered_columns(tree: exp.Expression, columns: dict[str, Sequence[str]]) -> list[tuple[str, str, str, str]]:
    """(table, column, the column as written, what the query does with it) for each column the query orders by,
    takes the MAX or MIN of, or compares with a number, in order, each once."""
    uses: list[tuple[exp.Column, str]] = []
    for ordered in tree.find_all(exp.Ordered):
        # `ORDER BY price` after `CAST(price AS REAL) AS price` orders numbers: it was warned of as the text column,
        # with the very CAST the warning advises (an outside tester, session 55); `ORDER BY 2` orders the second
        # output column, which went unread
        key = ordered_value(ordered)
        if isinstance(key, exp.Column):
            uses.append((key, "orders"))
    for extreme in tree.find_all(exp.Max, exp.Min):
        if isinstance(extreme.this, exp.Column) and not extreme.expressions:  # (two-argument max() is another)
            uses.append((extreme.this, f"takes the {type(extreme).__name__.upper()} of"))
    for comparison in tree.find_all(*COMPARISONS):
        for column, other in ((comparison.this, comparison.expression), (comparison.expression, comparison.this)):
            if isinstance(column, exp.Column) and _numeric(other):
                uses.append((column, "compares with a number"))
    for between in tree.find_all(exp.Between):
        if isinstance(between.this, exp.Column) and _numeric(between.args["low"]) and _numeric(between.args["high"]):
            uses.append((between.this, "compares with a number"))
    found, seen = [], set()
    for column, use in uses:
        stored = stored_column(column, columns)
        if stored is None or (stored[0], stored[1].lower()) in seen:
            continue
        table, real = stored
        seen.add((table, real.lower()))
        found.append((table, real, column.sql(dialect="sqlite"), use))
    return found[:MAX_COLUMNS]


def _probe_sql(table: str, column: str) -> str:
    """Of the column's first text values that are plain numbers, sorted as text: one value that is a smaller number
    than the value before it (that value, the one before it), if any."""
    name = quote_name(column)
    rows = f"select {name} from {quote_name(table)} limit {SAMPLED}"  # a column of numbers has no such text to find
    texts = (
        f"select trim({name}) as v from ({rows}) where typeof({name}) = 'text' "
        f"and trim({name}) glob '*[0-9]*' and trim({name}) not glob '*[^0-9.+-]*' limit {READ}"
    )
    return (
        "select v, before from (select v, lag(v) over (order by v) as before, cast(v as real) as n, "
        f"lag(cast(v as real)) over (order by v) as p from ({texts})) where n < p"
    )


async def numbers_as_text(probe: Probe, sql: str, columns: dict[str, Sequence[str]]) -> list[str]:
    """Warnings for the columns this query orders or compares whose numbers are stored as text of several lengths;
    empty if none (or if a probe could not tell in time). The query is read off the event loop."""
    try:
        tree = await asyncio.to_thread(parse_one, sql)
    except sqlglot.errors.SqlglotError:
        return []
    warnings = []
    for table, column, written, use in await asyncio.to_thread(ordered_columns, tree, columns):
        try:
            rows = await probe.rows(_probe_sql(table, column), 1)
        except (QueryFailed, QueryTimeout):
            continue
        if not rows:
            continue
        smaller, before = rows[0]
        warnings.append(
            f"{written} holds numbers stored as text, which SQLite {use} as text, character by character ('{before}' "
            f"comes before '{smaller}'): for their order as numbers, write CAST({written} AS REAL)"
        )
    return warnings
