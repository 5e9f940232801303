"""Conditions one row cannot meet as meant: two values at once, a `!=` that changes nothing, a column
compared with the extreme of another column."""

from __future__ import annotations

from sqlglot import exp

from ..join_tree import JoinTree
from .where_parts import column_and_literal


def _number(literal: exp.Literal) -> float | None:
    try:
        return float(literal.this)
    except ValueError:
        return None


def _same(one: exp.Literal, other: exp.Literal) -> bool | None:
    """Whether SQLite holds two literals equal: numbers by value (2014 and 2014.0), text exactly; None for texts
    that differ only in case (a NOCASE column holds them equal, another not)."""
    numbers = None if one.is_string or other.is_string else (_number(one), _number(other))
    if numbers is not None and None not in numbers:
        return numbers[0] == numbers[1]
    if one.this == other.this:
        return True
    return None if one.this.lower() == other.this.lower() else False


def impossible_or_redundant(conditions, joins: JoinTree | None) -> list[str]:
    equal: dict[str, list[exp.Expression]] = {}
    unequal: dict[str, list[exp.Expression]] = {}
    below: dict[str, list[tuple[float, exp.Expression]]] = {}  # column < n
    above: dict[str, list[tuple[float, exp.Expression]]] = {}  # column > n
    for node in conditions:
        pair = column_and_literal(node) if isinstance(node, exp.Binary) else None
        if pair is None:
            continue
        column, literal = pair
        key = column.sql(dialect="sqlite").lower()
        flipped = node.this is literal  # `5 < x` reads as x > 5
        if isinstance(node, exp.EQ):
            equal.setdefault(key, []).append(node)
        elif isinstance(node, exp.NEQ):
            unequal.setdefault(key, []).append(node)
        elif isinstance(node, (exp.LT, exp.LTE, exp.GT, exp.GTE)) and _number(literal) is not None:
            upper = isinstance(node, (exp.LT, exp.LTE)) != flipped
            (below if upper else above).setdefault(key, []).append((_number(literal), node))
    doubts = []
    for key, nodes in equal.items():
        literals = [column_and_literal(n)[1] for n in nodes]
        if any(_same(literals[0], other) is False for other in literals[1:]):
            doubts.append(_one_row(" AND ".join(sorted({n.sql(dialect="sqlite") for n in nodes})), nodes[0]))
        elif key in unequal:
            kept, dropped = nodes[0].sql(dialect="sqlite"), unequal[key][0]
            same = _same(literals[0], column_and_literal(dropped)[1])
            if same is not False:  # `kind = 'dog' AND kind != 'dog'` leaves every row out, not none
                if same:
                    doubts.append(_one_row(f"{kept} AND {dropped.sql(dialect='sqlite')}", nodes[0]))
                continue
            wanted = exp.EQ(this=dropped.this.copy(), expression=dropped.expression.copy()).sql(dialect="sqlite")
            exclusion = joins.exclusion(column_and_literal(dropped)[0], wanted) if joins is not None else None
            doubts.append(
                f"{dropped.sql(dialect='sqlite')} changes nothing once {kept} (both test the same row); "
                f"to leave out those that also have a row where {wanted}, write "
                + (f"{exclusion} in its place" if exclusion else f"NOT IN (SELECT ... WHERE {wanted})")
            )
    for key, uppers in below.items():
        for limit, upper_node in uppers:
            for start, lower_node in above.get(key, ()):
                # `year >= 2014 AND year <= 2014` holds for 2014: impossible only past each other, or meeting at
                # an end one of them leaves out
                strict = isinstance(lower_node, (exp.LT, exp.GT)) or isinstance(upper_node, (exp.LT, exp.GT))
                if start > limit or (start == limit and strict):
                    both = f"{lower_node.sql(dialect='sqlite')} AND {upper_node.sql(dialect='sqlite')}"
                    doubts.append(_one_row(both, upper_node))
    return doubts


def _one_row(conditions: str, comparison: exp.Binary) -> str:
    column = column_and_literal(comparison)[0].sql(dialect="sqlite")
    return (
        f"{conditions} can never hold for one row ({column} has one value per row), so the query finds "
        "nothing; for things related to rows of both kinds, INTERSECT two queries"
    )


def extreme_of_another_column(select) -> list[str]:
    doubts = []
    for node in select.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ, exp.NEQ):
        if node.parent_select is not select:
            continue
        column, subquery = node.this, node.expression
        if isinstance(column, exp.Subquery):
            column, subquery = subquery, column
        if not (isinstance(column, exp.Column) and isinstance(subquery, exp.Subquery)):
            continue
        inner = subquery.this
        if not isinstance(inner, exp.Select) or len(inner.expressions) != 1:
            continue
        extreme = inner.expressions[0].unalias()
        other = extreme.this if isinstance(extreme, (exp.Max, exp.Min)) else None
        if not isinstance(other, exp.Column) or other.name.lower() == column.name.lower():
            continue
        source = inner.args.get("from_")
        if source is None:
            continue
        order = "DESC" if isinstance(extreme, exp.Max) else "ASC"
        where = inner.args.get("where")
        where = f" {where.sql(dialect='sqlite')}" if where is not None else ""
        doubts.append(
            f"{node.sql(dialect='sqlite')} compares {column.name} with a value of {other.name}; to compare "
            f"with the {column.name} of the row with the {'largest' if order == 'DESC' else 'smallest'} "
            f"{other.name}, use (SELECT {column.name} {source.sql(dialect='sqlite')}{where} "
            f"ORDER BY {other.name} {order} LIMIT 1)"
        )
    return doubts
