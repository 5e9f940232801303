"""Hints for literal values: small models write `country = 'france'` when the data says 'France'.

When a query returns nothing (no rows, or only a zero / NULL aggregate such as `count(*) = 0`), each
`column = 'literal'` comparison (and IN lists, LIKE) is checked against the values really stored in that
column. The result is a hint for the repair turn: the close values that exist (values the question itself
mentions first), or the other columns that hold the literal, with the foreign keys that reach them. When
exactly one stored value equals the literal apart from case, spaces and punctuation ('North Carolina' for
'NorthCarolina'), the caller can substitute it without another model call. Probes run through the same
guarded execution path and only read tables the actor may see.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from ...sql.execute import QueryResult, run_select
from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.join_links import Link, path_between
from ...sql.names import quote_name as _quote
from ...sql.parsing import parse_one

MAX_LITERALS = 4
MAX_ELSEWHERE = 3
MAX_ELSEWHERE_PROBES = 60
PROBE_BUDGET_MIN_MS = 1000  # all probes for one query share max(time limit, this)


@dataclass(frozen=True)
class ValueHint:
    literal: str
    table: str
    column: str
    values: tuple[str, ...] = ()  # close values stored in table.column
    elsewhere: tuple[str, ...] = ()  # "table.column" names that store the literal
    route: tuple[str, ...] = ()  # foreign keys from the query's tables to those columns

    @property
    def replacement(self) -> str | None:
        """The one stored value that is the literal apart from case, spaces and punctuation."""
        same = [v for v in self.values if spelling_key(v) == spelling_key(self.literal.strip("%"))]
        return same[0] if len(same) == 1 and "%" not in self.literal else None

    def message(self) -> str:
        where = f"{self.table}.{self.column}"
        if self.values:
            shown = ", ".join(repr(v) for v in self.values[:5])
            return f"{self.literal!r} is not a value of {where}; values that exist: {shown}"
        text = f"{self.literal!r} is not a value of {where}, but it is a value of " + " and ".join(self.elsewhere)
        if self.route:
            text += " (join through " + ", ".join(self.route) + ")"
        return text


def looks_empty(result: QueryResult) -> bool:
    return nothing_found(result.rows)


def nothing_found(rows: Sequence[tuple]) -> bool:
    """No rows, or one row of zeros / NULLs (what count(*) or sum() give when the WHERE matched nothing)."""
    return not rows or (len(rows) == 1 and all(value in (None, 0) for value in rows[0]))


def spelling_key(text) -> str:
    """What is left of a value without case, spaces and punctuation: equal keys differ only in spelling."""
    return re.sub(r"[\W_]+", "", str(text).lower())


def string_comparisons(tree) -> Iterator[tuple[exp.Column, exp.Literal]]:
    """(column, string literal) nodes compared with =, IN or LIKE, in the order of the tree walk."""
    for node in tree.find_all(exp.EQ, exp.Like, exp.In):
        if not isinstance(node.this, exp.Column):
            continue
        literals = [node.expression] if not isinstance(node, exp.In) else list(node.expressions)
        for literal in literals:
            if isinstance(literal, exp.Literal) and literal.is_string:
                yield node.this, literal


def literal_comparisons(sql: str) -> list[tuple[str, str]]:
    """(column name, string literal) pairs compared with =, IN or LIKE in the query."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.ParseError:
        return []
    return [(column.name, literal.this) for column, literal in string_comparisons(tree)][:MAX_LITERALS]


def replace_literal(sql: str, column: str, literal: str, value: str) -> str | None:
    """The query with `column = 'literal'` (or IN / LIKE) comparing to `value` instead; None if not found."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.ParseError:
        return None
    found = [
        node
        for compared, node in string_comparisons(tree)
        if compared.name.lower() == column.lower() and node.this == literal
    ]
    for node in found:
        node.replace(exp.Literal.string(value))
    return tree.sql(dialect="sqlite") if found else None


class Probe:
    """Runs the small lookup queries, all through the guarded path, within one shared time budget: on a big
    database each probe may scan a column, and a hint must not cost more than a query may."""

    def __init__(self, db, allowed: set[str], time_limit_ms: int):
        self.db, self.allowed = db, allowed
        self.deadline = time.monotonic() + max(time_limit_ms, PROBE_BUDGET_MIN_MS) / 1000

    async def values(self, sql: str, limit: int) -> list[str]:
        """The first column of the rows, as text, NULLs left out."""
        return [str(row[0]) for row in await self.rows(sql, limit) if row[0] is not None]

    async def rows(self, sql: str, limit: int) -> tuple[tuple, ...]:
        return (await self.result(sql, limit)).rows

    async def result(self, sql: str, limit: int) -> QueryResult:
        """The whole result, with what the fetch cut (long cells, the fetch cap)."""
        remaining_ms = int((self.deadline - time.monotonic()) * 1000)
        if remaining_ms <= 0:
            raise QueryTimeout("no time left for value hints")
        return await run_select(self.db, sql, allowed_tables=self.allowed, max_rows=limit, time_limit_ms=remaining_ms)


async def value_hints(
    db,
    sql: str,
    tables: dict[str, Sequence[str]],
    *,
    allowed: set[str],
    time_limit_ms: int,
    other_tables: dict[str, Sequence[str]] | None = None,
    question: str = "",
    links: Sequence[Link] = (),
    probe: Probe | None = None,
) -> list[ValueHint]:
    """What is wrong with the query's string literals, for the ones that match nothing in their column.

    `tables` are the query's tables; `other_tables` the rest of the visible schema, searched (after the
    query's own tables) for a column that does store the literal.
    """
    probe = probe or Probe(db, allowed, time_limit_ms)  # the query's own, shared with its other probes
    hints = []
    for column, literal in literal_comparisons(sql):
        pattern = literal.strip("%")
        if not pattern:
            continue
        for table, columns in tables.items():
            real = next((c for c in columns if c.lower() == column.lower()), None)
            if real is None:
                continue
            try:
                values = await _close_values(probe, table, real, pattern, question)
            except QueryFailed:
                continue
            if values is None:
                continue  # the literal is stored there: not the problem
            if values:
                hints.append(ValueHint(literal, table, real, tuple(values)))
                continue
            elsewhere = await _columns_holding(probe, pattern, tables, other_tables or {}, skip=(table, real))
            if elsewhere:
                route = path_between(table, {name.split(".")[0] for name in elsewhere}, links)
                hints.append(
                    ValueHint(literal, table, real, (), tuple(elsewhere), tuple(link.text() for link in route))
                )
    return hints


async def _close_values(probe: Probe, table: str, column: str, pattern: str, question: str) -> list[str] | None:
    """None when `pattern` is stored in table.column; else the stored values that look like it."""
    q_table, q_column = _quote(table), _quote(column)
    if await probe.values(f"select {q_column} from {q_table} where {q_column} = {sql_literal(pattern)} limit 1", 1):
        return None
    mentioned = []
    if question:  # values of this column the question spells out, e.g. 'amc hornet sportabout (sw)'
        mentioned = await probe.values(
            f"select distinct {q_column} from {q_table} where length({q_column}) >= 3 and "
            f"instr(lower({sql_literal(question)}), lower({q_column})) > 0 "
            f"order by length({q_column}) desc limit 3",
            3,
        )
        mentioned = [v for v in mentioned if pattern.lower() in v.lower() or v.lower() in pattern.lower()]
    like = await probe.values(
        f"select distinct {q_column} from {q_table} where {q_column} like {sql_literal('%' + pattern[:24] + '%')} "
        f"or lower({q_column}) = lower({sql_literal(pattern)}) limit 20",
        20,
    )
    values = list(dict.fromkeys(mentioned + like))
    if not values:
        pool = await probe.values(f"select distinct {q_column} from {q_table} limit 200", 200)
        squashed = [v for v in pool if spelling_key(v) == spelling_key(pattern)]
        values = squashed or difflib.get_close_matches(pattern, pool, n=5, cutoff=0.6)
    return values


async def _columns_holding(probe: Probe, value: str, tables, other_tables, skip) -> list[str]:
    """Columns where `value` is stored (apart from case, spaces and punctuation such as '_' and '-'): the query's
    tables first, then the others."""
    found, probes, key = [], 0, spelling_key(value)
    if not key:
        return found
    for group in (tables, {t: c for t, c in other_tables.items() if t not in tables}):
        for table, columns in group.items():
            for column in columns:
                if (table, column) == skip:
                    continue
                if probes >= MAX_ELSEWHERE_PROBES:
                    return found
                probes += 1
                q_column = _quote(column)
                sql = (
                    f"select 1 from {_quote(table)} where lower(cast({q_column} as text)) = "
                    f"lower({sql_literal(value)}) or {_squashed(q_column)} = {sql_literal(key)} limit 1"
                )
                try:
                    if await probe.values(sql, 1):
                        found.append(f"{table}.{column}")
                except QueryFailed:
                    continue
                if len(found) >= MAX_ELSEWHERE:
                    return found
        if found:
            return found
    return found


def _squashed(column_sql: str) -> str:
    """SQL for a column's text in lower case without spaces and the usual punctuation (see spelling_key)."""
    text = f"lower(cast({column_sql} as text))"
    for mark in " _-.,'/()&:;!?\"":
        text = f"replace({text}, {sql_literal(mark)}, '')"
    return text


def sql_literal(text: str) -> str:
    """A string as an SQL literal."""
    return "'" + text.replace("'", "''") + "'"
