"""A division of two integers in what the query shows: `COUNT(*) * 100 / (SELECT COUNT(*) FROM customers)`.

SQLite divides an integer by an integer as integers and drops the fraction: 13 * 100 / 59 is 22, not 22.03, and
`COUNT(*) / (SELECT COUNT(*) ...) * 100` is 0. The database did return that number, so the check of the answer's
numbers cannot see it; the share asked for is still wrong. Whether a fraction was dropped is asked of the data: one
probe (through the guarded path, value_hints.Probe) reads the query's own rows, within its LIMIT, with a flag per
division the outermost SELECT shows (outside any aggregate, window or subquery, up to 8): whether some row
divided as integers with a remainder. Then the query goes back once with the division to write
(the numerator CAST AS REAL); a division that drops nothing is left alone (`7 / 7`, an integer by a REAL, a
`CAST ... AS REAL`, a count of whole dozens). A division inside an aggregate (`AVG(a / b)`) is not read: its rows
are not the ones shown.
"""

from __future__ import annotations

import asyncio

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.parsing import parse_one
from .arbitrary_values import any_row_sql, shown_by
from .value_hints import Probe

MAX_DIVISIONS = 8  # divisions checked by one probe


def divisions(select: exp.Select) -> list[exp.Div]:
    """The divisions the SELECT's own columns show, in order (a division inside another counts once each)."""
    found, written = [], set()
    for projection in select.expressions:
        for division in projection.find_all(exp.Div):
            if len(found) == MAX_DIVISIONS:
                return found
            if shown_by(division, select) and division.sql() not in written:
                written.add(division.sql())
                found.append(division)
    return found


def _dropped(division: exp.Div) -> exp.Expression:
    """True for a row where the division was done in integers with a remainder. The result's type says whether
    SQLite divided as integers: a text operand that reads as an integer ('7' in a column without a numeric type,
    common in imported CSV) is divided as one too, which the operands' own types would not tell."""
    numerator, denominator = division.this, division.expression
    return exp.and_(
        exp.EQ(this=exp.func("typeof", division.copy()), expression=exp.Literal.string("integer")),
        exp.NEQ(
            this=exp.Mod(this=exp.paren(numerator.copy()), expression=exp.paren(denominator.copy())),
            expression=exp.Literal.number(0),
        ),
    )


def _kept(division: exp.Div) -> str:
    """The division with its fraction kept: the numerator CAST AS REAL (the parentheses sqlglot writes where the
    operands need them)."""
    real = exp.Cast(this=division.this.copy(), to=exp.DataType.build("REAL"))
    return exp.Div(this=real, expression=division.expression.copy()).sql(dialect="sqlite")


def plan(sql: str, shown: int | None = None) -> tuple[str, list[tuple[str, str]]] | None:
    """(the probe's SQL, (division as written, the same keeping its fraction) for each division shown), or None
    when the query shows none."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(tree, exp.Select):
        return None
    found = divisions(tree)
    if not found:
        return None
    written = [(division.sql(dialect="sqlite"), _kept(division)) for division in found]
    return any_row_sql(tree, [_dropped(division) for division in found], "integer_division", shown), written


async def integer_divisions(probe: Probe, sql: str, shown: int | None = None) -> list[str]:
    """Doubts for the divisions of this query's shown columns that dropped a fraction in some row shown (of its
    first `shown`); empty if none (or if the probe could not tell in time). The query is read off the event loop."""
    planned = await asyncio.to_thread(plan, sql, shown)
    if planned is None:
        return []
    probe_sql, written = planned
    try:
        rows = await probe.rows(probe_sql, 1)
    except (QueryFailed, QueryTimeout):
        return []
    return [
        f"{division} divides an integer by an integer, and SQLite then drops the fraction (7 / 2 is 3): in rows "
        f"shown it did. To keep it, write {kept}"
        for (division, kept), flag in zip(written, rows[0] if rows else ())
        if flag
    ]
