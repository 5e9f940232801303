"""Hints for literal values: small models write `country = 'france'` when the data says 'France'.

When a query returns no rows, each `column = 'literal'` comparison (and IN lists, LIKE) is checked against
the values really stored in that column; close matches become a repair hint. Only tables the query already
reads are touched, through the same guarded execution path.
"""

from __future__ import annotations

import difflib

import sqlglot
from sqlglot import exp

from .execute import QueryFailed, run_select
from .schema import quote_name as _quote

MAX_LITERALS = 4


def literal_comparisons(sql: str) -> list[tuple[str, str]]:
    """(column name, string literal) pairs compared with =, IN or LIKE in the query."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.ParseError:
        return []
    pairs = []
    for node in tree.find_all(exp.EQ, exp.Like, exp.In):
        column = node.this if isinstance(node.this, exp.Column) else None
        if column is None:
            continue
        literals = [node.expression] if not isinstance(node, exp.In) else list(node.expressions)
        for literal in literals:
            if isinstance(literal, exp.Literal) and literal.is_string:
                pairs.append((column.name, literal.this))
    return pairs[:MAX_LITERALS]


async def value_hints(db, sql: str, tables: dict[str, tuple[str, ...]], *, allowed: set[str],
                      time_limit_ms: int) -> list[str]:
    """Messages like: 'france' is not a value of singer.Country; close values: 'France'."""
    hints = []
    for column, literal in literal_comparisons(sql):
        pattern = literal.strip("%")
        if not pattern:
            continue
        for table, columns in tables.items():
            real = next((c for c in columns if c.lower() == column.lower()), None)
            if real is None:
                continue
            probe = (f"select distinct {_quote(real)} from {_quote(table)} where {_quote(real)} = "
                     f"{_literal(pattern)} limit 1")
            try:
                exact = await run_select(db, probe, allowed_tables=allowed,
                                         max_rows=1, time_limit_ms=time_limit_ms)
                if exact.rows:
                    continue
                candidates = await run_select(
                    db, f"select distinct {_quote(real)} from {_quote(table)} where {_quote(real)} like "
                        f"{_literal('%' + pattern[:24] + '%')} or lower({_quote(real)}) = lower({_literal(pattern)})"
                        " limit 20", allowed_tables=allowed, max_rows=20, time_limit_ms=time_limit_ms)
                values = [str(r[0]) for r in candidates.rows if r[0] is not None]
                if not values:
                    sample = await run_select(db, f"select distinct {_quote(real)} from {_quote(table)} limit 200",
                                              allowed_tables=allowed, max_rows=200, time_limit_ms=time_limit_ms)
                    pool = [str(r[0]) for r in sample.rows if r[0] is not None]
                    values = difflib.get_close_matches(pattern, pool, n=5, cutoff=0.6)
            except QueryFailed:
                continue
            if values:
                shown = ", ".join(repr(v) for v in values[:5])
                hints.append(f"{literal!r} is not a value of {table}.{real}; values that exist: {shown}")
            else:
                elsewhere = await _columns_holding(db, pattern, tables, allowed, time_limit_ms, skip=(table, real))
                if elsewhere:
                    hints.append(f"{literal!r} is not a value of {table}.{real}, but it is a value of "
                                 + " and ".join(elsewhere))
    return hints


async def _columns_holding(db, value: str, tables, allowed, time_limit_ms, skip) -> list[str]:
    """Other columns of the query's tables where `value` is stored (case-insensitive), e.g. animals.species."""
    found = []
    for table, columns in tables.items():
        for column in columns:
            if (table, column) == skip:
                continue
            probe = (f"select 1 from {_quote(table)} where lower(cast({_quote(column)} as text)) = "
                     f"lower({_literal(value)}) limit 1")
            try:
                if (await run_select(db, probe, allowed_tables=allowed, max_rows=1,
                                     time_limit_ms=time_limit_ms)).rows:
                    found.append(f"{table}.{column}")
            except QueryFailed:
                continue
            if len(found) >= 3:
                return found
    return found


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
