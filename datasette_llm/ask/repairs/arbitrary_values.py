"""A column an aggregate query neither groups nor aggregates, whose value differs within a group shown.

`SELECT name, AVG(salary) FROM staff GROUP BY department`: SQLite returns each department's average beside the
name of one arbitrary row of that department, and an answer then gives the average to that person. With no
GROUP BY the whole result is one group (`SELECT name, AVG(salary) FROM staff`). The exceptions SQLite itself
defines are left alone: with exactly one `min()` or `max()` aggregate, such a column comes from the row that
holds the extreme (`SELECT name, MAX(salary) ...` names the best paid). A column equal to a grouped one
through the query's `=` conditions, or pinned to a literal, is grouped too.

Whether the value really differs is asked of the data, not guessed from keys: one probe (through the guarded
path, value_hints.Probe) reads the query's own groups, in its order and within its LIMIT, and counts the
distinct values of each such column per group (NULL counting as a value). `GROUP BY name` beside an `id` is
fine where no two rows share a name, and is a doubt where two do. Only the outermost SELECT is read: its rows
are what the answer is written from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.join_links import column_table, select_tables
from ...sql.parsing import parse_one
from .value_hints import Probe

MAX_COLUMNS = 8  # columns checked by one probe


def is_aggregate(node: exp.Expression) -> bool:
    """SQLite's aggregate functions (sqlglot reads `total()` as a function it does not know)."""
    return isinstance(node, exp.AggFunc) or (isinstance(node, exp.Anonymous) and node.name.lower() == "total")


def _key(column: exp.Column, columns: dict[str, Sequence[str]]) -> tuple[str, str] | None:
    """(table, column in lower case) for a column of the query's tables, or None when it cannot be told."""
    table = column_table(column, columns)
    return (table, column.name.lower()) if table else None


def shown_by(node: exp.Expression, select: exp.Select) -> bool:
    """Whether `node` belongs to this SELECT itself, outside any aggregate, window or subquery (evaluated once per
    row it shows). Serves integer_division too."""
    parent = node.parent
    while parent is not None and parent is not select:
        if is_aggregate(parent) or isinstance(parent, (exp.Window, exp.Select)):
            return False
        parent = parent.parent
    return parent is select


def bare_columns(select: exp.Select, columns: dict[str, Sequence[str]]) -> list[exp.Column]:
    """The columns this aggregate SELECT shows that are neither grouped, aggregated, equal to a grouped column
    nor pinned to a literal (none when SQLite's one-min-or-max rule decides their row)."""
    aggregates = [a for a in select.find_all(exp.Func) if is_aggregate(a) and a.find_ancestor(exp.Select) is select]
    aggregates = [a for a in aggregates if not a.find_ancestor(exp.Window)]
    group = select.args.get("group")
    if not aggregates and not group:
        return []
    if sum(isinstance(a, (exp.Max, exp.Min)) for a in aggregates) == 1:  # (two-argument max() is Greatest)
        return []  # SQLite: the other columns come from the row that holds the min or max
    if not any(table.name.lower() in {name.lower() for name in columns} for table in select_tables(select)):
        return []
    same: dict = {}  # union-find over (table, column): equal through an `=` every row satisfies

    def root(key):
        while same.get(key, key) != key:
            key = same[key]
        return key

    pinned = set()
    conditions = [join.args["on"] for join in select.args.get("joins") or [] if join.args.get("on")]
    if select.args.get("where"):
        conditions.append(select.args["where"].this)
    for condition in conditions:
        for equal in condition.find_all(exp.EQ):
            if equal.find_ancestor(exp.Select) is not select or equal.find_ancestor(exp.Or, exp.Not):
                continue
            left, right = equal.this, equal.expression
            a = _key(left, columns) if isinstance(left, exp.Column) else None
            b = _key(right, columns) if isinstance(right, exp.Column) else None
            if a and b:
                same[root(a)] = root(b)
            elif a and isinstance(right, exp.Literal):
                pinned.add(a)
            elif b and isinstance(left, exp.Literal):
                pinned.add(b)
    projections = select.expressions
    grouped = set()
    for item in group.expressions if group else []:
        if isinstance(item, exp.Literal) and item.is_int and 1 <= int(item.this) <= len(projections):
            item = projections[int(item.this) - 1]  # GROUP BY 1
        if isinstance(item, exp.Column) and not item.table:
            item = next((p for p in projections if isinstance(p, exp.Alias) and p.alias_or_name == item.name), item)
        item = item.this if isinstance(item, exp.Alias) else item
        for column in [item] if isinstance(item, exp.Column) else item.find_all(exp.Column):
            key = _key(column, columns)
            if key:
                grouped.add(root(key))
    bare, written = [], set()
    for projection in projections:
        for column in projection.find_all(exp.Column):
            if not shown_by(column, select):
                continue
            key = _key(column, columns)
            if key is None or root(key) in grouped or any(root(key) == root(p) for p in pinned):
                continue
            if column.sql() not in written:  # each once (a set: a list compared each with every other)
                written.add(column.sql())
                bare.append(column)
    return bare


def any_row_sql(select: exp.Select, conditions: Sequence[exp.Expression], name: str, shown: int | None = None) -> str:
    """One query over the rows `select` shows, in its order and within its LIMIT (and its first `shown` rows: the
    guard's LIMIT reads one row more than the result keeps, and a doubt raised by that row, never shown, sent the
    query back; an outside tester, session 55), that says for each condition (an expression over those rows)
    whether any row holds it: the query with the conditions as extra columns, their MAX over it. Serves
    integer_division too."""
    flags = [f"__{name}_{n}" for n in range(len(conditions))]
    inner = select.copy()
    inner.set(
        "expressions",
        list(inner.expressions) + [exp.alias_(condition, flag) for condition, flag in zip(conditions, flags)],
    )
    rows = inner.subquery(f"__{name}")
    if shown is not None:
        rows = exp.select(*[exp.column(flag) for flag in flags]).from_(rows).limit(shown).subquery(f"__{name}_shown")
    outer = exp.select(*[exp.Max(this=exp.column(flag)) for flag in flags]).from_(rows)
    return outer.sql(dialect="sqlite")


def _probe_sql(select: exp.Select, bare: Sequence[exp.Column], shown: int | None = None) -> str:
    """For each bare column, whether any group shown holds more than one value of it."""
    differs = [
        exp.GT(
            this=exp.Count(this=exp.Distinct(expressions=[exp.func("quote", column.copy())])),
            expression=exp.Literal.number(1),
        )
        for column in bare
    ]
    return any_row_sql(select, differs, "arbitrary", shown)


def plan(sql: str, columns: dict[str, Sequence[str]], shown: int | None = None) -> tuple[str, list[str], bool] | None:
    """(the probe's SQL, the bare columns as written, whether the query groups), or None when there are none."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(tree, exp.Select) or tree.args.get("distinct"):
        return None
    bare = bare_columns(tree, columns)[:MAX_COLUMNS]
    if not bare:
        return None
    return (
        _probe_sql(tree, bare, shown),
        [column.sql(dialect="sqlite") for column in bare],
        bool(tree.args.get("group")),
    )


async def arbitrary_values(
    probe: Probe, sql: str, columns: dict[str, Sequence[str]], shown: int | None = None
) -> list[str]:
    """Doubts for the columns of this query's rows (its first `shown`) whose value is one arbitrary row's of its
    group; empty if none (or if the probe could not tell in time). The query is read off the event loop."""
    planned = await asyncio.to_thread(plan, sql, columns, shown)
    if planned is None:
        return []
    probe_sql, bare, grouped = planned
    try:
        rows = await probe.rows(probe_sql, 1)
    except (QueryFailed, QueryTimeout):
        return []
    where = "each group" if grouped else "the rows it aggregates"
    return [
        f"{column} is neither grouped nor aggregated and differs within {where}: each result row shows the "
        f"{column} of one arbitrary row beside the aggregate. To list its values per group, use "
        f"GROUP_CONCAT({column}); if the question does not ask for it, leave it out"
        for column, flag in zip(bare, rows[0] if rows else ())
        if flag
    ]
