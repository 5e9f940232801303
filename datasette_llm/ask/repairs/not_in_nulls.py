"""`x NOT IN (SELECT y FROM t)` where some y is NULL: true for no row.

SQL's three-valued logic: `3 NOT IN (1, NULL)` is NULL, not true, so a NOT IN over a subquery that returns one
NULL keeps no row at all, and "Which employees manage nobody?" as `WHERE id NOT IN (SELECT manager_id FROM
employees)` answers "none" whenever one employee has no manager. Nobody means that. Whether the subquery returns a
NULL is asked of the data: one probe (through the guarded path, value_hints.Probe) per such subquery, which must
run on its own (a correlated one, naming the outer query's tables, cannot: it is left as it is). When it does,
the mend adds `y IS NOT NULL` to the subquery's WHERE, and says so with the attempt. Only a subquery of one plain
column, without GROUP BY, aggregates, windows, DISTINCT or LIMIT, is mended; NULL in a list of values (`NOT IN (1,
NULL)`), which nobody writes for a question, is left alone. No model call.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.parsing import parse_one
from .value_hints import Probe

MAX_SUBQUERIES = 4  # NOT IN subqueries probed for one query


def _plain(select: exp.Select) -> bool:
    """One plain column, nothing that groups, aggregates, windows, dedups or cuts the rows."""
    if len(select.expressions) != 1 or not isinstance(select.expressions[0], exp.Column):
        return False
    if any(select.args.get(arg) for arg in ("group", "having", "distinct", "limit", "offset", "with")):
        return False
    return not any(
        isinstance(node, (exp.AggFunc, exp.Window)) for node in select.expressions[0].walk() if node is not None
    )


def not_in_subqueries(tree: exp.Expression) -> list[exp.Select]:
    """The plain one-column SELECTs of `... NOT IN (SELECT ...)` in the query, in order."""
    found = []
    for negation in tree.find_all(exp.Not):
        inner = negation.this
        if not isinstance(inner, exp.In) or inner.args.get("query") is None:
            continue
        query = inner.args["query"]
        select = query.this if isinstance(query, exp.Subquery) else query
        if isinstance(select, exp.Select) and _plain(select):
            found.append(select)
    return found[:MAX_SUBQUERIES]


async def null_safe_not_in(probe: Probe, sql: str) -> tuple[str, tuple[str, ...]] | None:
    """(the query with `IS NOT NULL` added to each NOT IN subquery that returns a NULL, what changed), or None when
    none does (or the probes could not tell in time)."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    changes = []
    for select in not_in_subqueries(tree):
        column = select.expressions[0]
        check = select.copy().where(exp.Is(this=column.copy(), expression=exp.Null()), append=True).limit(1)
        try:
            rows = await probe.rows(check.sql(dialect="sqlite"), 1)
        except (QueryFailed, QueryTimeout):
            continue  # correlated (it names the outer query's tables), refused, or too slow: left as it is
        if not rows:
            continue
        select.where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())), append=True, copy=False)
        written = column.sql(dialect="sqlite")
        changes.append(
            f"{written} IS NOT NULL added to the NOT IN subquery: it returned a NULL, and NOT IN over a NULL is "
            "true for no row"
        )
    if not changes:
        return None
    return tree.sql(dialect="sqlite"), tuple(changes)
