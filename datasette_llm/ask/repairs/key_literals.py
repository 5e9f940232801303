"""A name compared with a key column: `countries.Continent = 'europe'` where Continent holds continent ids.

A foreign-key column stores the id of a row in another table, yet small models compare it with the name
they read in the question. SQLite finds nothing for `=` (and everything for `!=`), so the result is silently
wrong, and the repair turn often does not help (on Spider the model kept the comparison after the value hint
in both cases it was shown). When the literal is not stored in the key column but is stored in exactly one
column of the table the key references, the comparison is rewritten to go through that table:

    Continent = 'europe'   ->  Continent IN (SELECT ContId FROM continents WHERE Continent = 'europe')
    Maker != 'ford'        ->  Maker NOT IN (SELECT Id FROM car_makers WHERE Maker = 'ford')

which is what the model meant, with the stored spelling of the value. The rewrite is reported as a mend and
the query is validated again before it runs. Probes go through the guarded path (value_hints.Probe).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.join_links import Link, column_table
from ...sql.names import quote_name
from ...sql.parsing import parse_one
from .value_hints import Probe, sql_literal

MAX_KEY_LITERALS = 4
MAX_NAME_COLUMNS = 12  # columns of the referenced table searched for the literal


@dataclass(frozen=True)
class KeyComparison:
    """`column = 'literal'` (or !=, IN, NOT IN) where the column is a foreign key."""

    node: exp.Expression  # the comparison, as it sits in the parsed query
    column: exp.Column
    literals: tuple[str, ...]
    negated: bool
    link: Link


def key_comparisons(tree, columns: dict[str, Sequence[str]], links: Sequence[Link]) -> list[KeyComparison]:
    """String literals compared with a foreign-key column, in tree order (numbers are left alone)."""
    keys = {(link.table.lower(), link.column.lower()): link for link in links}
    found = []
    for node in tree.find_all(exp.EQ, exp.NEQ, exp.In):
        column, literals = node.this, _string_literals(node)
        if not isinstance(column, exp.Column) or not literals:
            continue
        table = column_table(column, columns)
        link = keys.get((table.lower(), column.name.lower())) if table else None
        if link is None:
            continue
        negated = isinstance(node, exp.NEQ) or isinstance(node.parent, exp.Not)
        found.append(KeyComparison(node, column, literals, negated, link))
    return found[:MAX_KEY_LITERALS]


def _string_literals(node) -> tuple[str, ...]:
    values = list(node.expressions) if isinstance(node, exp.In) else [node.expression]
    if isinstance(node, exp.In) and node.args.get("query"):
        return ()
    if not values or not all(isinstance(v, exp.Literal) and v.is_string for v in values):
        return ()
    texts = tuple(v.this for v in values)
    return () if any(_is_number(text) for text in texts) else texts


# Text SQLite reads as a number where a column's affinity is numeric: ASCII digits, one point, an exponent, with
# SQLite's spaces around. Python's float() reads more ("nan", "inf", "1_000", "١٢"): a key named `Nan` is a name.
_SQLITE_NUMBER = re.compile(r"[ \t\n\v\f\r]*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?[ \t\n\v\f\r]*")


def _is_number(text: str) -> bool:
    return _SQLITE_NUMBER.fullmatch(text) is not None


async def mend_key_literals(
    probe: Probe, sql: str, columns: dict[str, Sequence[str]], links: Sequence[Link]
) -> tuple[str, tuple[str, ...]] | None:
    """The query with names compared to key columns looked up through the referenced table, and what changed;
    None when there is nothing to mend (or a probe fails or runs out of time)."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    changes = []
    try:
        for comparison in key_comparisons(tree, columns, links):
            lookup = await _lookup(probe, comparison, columns)
            if lookup is None:
                continue
            replacement = _through_key(comparison, *lookup)
            target = comparison.node.parent if isinstance(comparison.node.parent, exp.Not) else comparison.node
            before = target.sql(dialect="sqlite")
            target.replace(replacement)
            changes.append(
                f"{before} → {replacement.sql(dialect='sqlite')} ({comparison.link.table}."
                f"{comparison.link.column} holds {comparison.link.other} ids, not names)"
            )
    except (QueryFailed, QueryTimeout):
        return None
    return (tree.sql(dialect="sqlite"), tuple(changes)) if changes else None


async def _lookup(probe: Probe, comparison: KeyComparison, columns) -> tuple[str, tuple[str, ...]] | None:
    """(name column, stored values) of the referenced table that holds every literal; None when the key column
    itself holds one of them, or no column (or several, even when the spelling must match exactly) does."""
    link = comparison.link
    key_table, key_column = quote_name(link.table), quote_name(link.column)
    for literal in comparison.literals:
        if await probe.values(f"select 1 from {key_table} where {key_column} = {sql_literal(literal)} limit 1", 1):
            return None  # stored as written: the comparison means what it says
    holders, exact = [], []
    for name in [c for c in columns.get(link.other, ()) if c.lower() != link.other_column.lower()][:MAX_NAME_COLUMNS]:
        stored = []
        for literal in comparison.literals:
            values = await probe.values(
                f"select distinct {quote_name(name)} from {quote_name(link.other)} where "
                f"lower(cast({quote_name(name)} as text)) = lower({sql_literal(literal)}) limit 2",
                2,
            )
            if len(values) != 1:
                break
            stored.append(values[0])
        else:
            holders.append((name, tuple(stored)))
            if tuple(stored) == comparison.literals:
                exact.append(holders[-1])
    if len(holders) == 1:
        return holders[0]
    return exact[0] if len(exact) == 1 else None


def _through_key(comparison: KeyComparison, name: str, stored: tuple[str, ...]) -> exp.Expression:
    link = comparison.link
    values = ", ".join(sql_literal(value) for value in stored)
    match = f"= {values}" if len(stored) == 1 else f"IN ({values})"
    key = quote_name(link.other_column)
    subquery = f"SELECT {key} FROM {quote_name(link.other)} WHERE {quote_name(name)} {match}"
    if comparison.negated:  # NOT IN a set holding NULL is never true: a NULL key emptied the result (session 57)
        subquery += f" AND {key} IS NOT NULL"
    column = comparison.column.sql(dialect="sqlite")
    keyword = "NOT IN" if comparison.negated else "IN"
    return sqlglot.parse_one(f"{column} {keyword} ({subquery})", read="sqlite")
