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


def affinity(declared: str | None) -> str | None:
    """SQLite's type affinity of a declared column type (datatype3.html, 3.1), as these checks read values:
    "numeric" (INTEGER, REAL, NUMERIC: numbers and numeric texts compare as numbers), "text" (numbers compare as
    their text), or None (BLOB or unknown: the value keeps whatever it was stored as)."""
    if declared is None:
        return None
    kind = declared.upper()
    if "INT" in kind:
        return "numeric"
    if any(word in kind for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in kind or not kind.strip():
        return None
    return "numeric"


def _same(one: exp.Literal, other: exp.Literal, kind: str | None = None) -> bool | None:
    """Whether SQLite holds two literals equal on a column of affinity `kind`: True, False, or None when it
    cannot be told. On a numeric column numbers and numeric texts compare by value (`'0'` and `'0.0'` are one
    number); on a TEXT one as written (`1` and `1.0` are two texts); of a column whose type is not known, True
    only when written alike and False only when no value equals both under any type (both were called two
    values at once: an outside tester, session 57). Texts that differ only in case: a NOCASE column holds them
    equal, another not."""
    numbers = (_number(one), _number(other))
    if kind == "numeric" and None not in numbers:
        return numbers[0] == numbers[1]
    if kind != "text":
        if one.this == other.this and one.is_string == other.is_string:
            return True
        if None not in numbers:
            return False if numbers[0] != numbers[1] else None
        if numbers != (None, None):
            return False  # a number and a word: no value is both
    if one.this == other.this:
        return True
    return None if one.this.lower() == other.this.lower() else False


def _past_each_other(start: exp.Literal, limit: exp.Literal, strict: bool, kind: str | None = None) -> bool:
    """Whether `column > start AND column < limit` holds for no value of a column of affinity `kind`: on a
    numeric column the bounds compare as numbers, on a TEXT one as texts (`10` and `5`: '2.0' is between them);
    of a column whose type is not known, only bounds written alike (a text is above every number) past each other
    both ways."""
    low, high = _number(start), _number(limit)
    numbers = low > high or (low == high and strict)
    texts = start.this > limit.this or (start.this == limit.this and strict)
    if kind == "numeric":
        return numbers
    if kind == "text":
        return texts
    return start.is_string == limit.is_string and numbers and texts


def impossible_or_redundant(conditions, joins: JoinTree | None, kind_of=lambda column: None) -> list[str]:
    """`kind_of(column)`: the affinity of a compared column (affinity()), None when not known."""
    equal: dict[str, list[exp.Expression]] = {}
    unequal: dict[str, list[exp.Expression]] = {}
    below: dict[str, list[tuple[exp.Literal, exp.Expression]]] = {}  # column < n
    above: dict[str, list[tuple[exp.Literal, exp.Expression]]] = {}  # column > n
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
            (below if upper else above).setdefault(key, []).append((literal, node))
    doubts = []
    for key, nodes in equal.items():
        literals = [column_and_literal(n)[1] for n in nodes]
        kind = kind_of(column_and_literal(nodes[0])[0])
        if any(_same(literals[0], other, kind) is False for other in literals[1:]):
            doubts.append(_one_row(" AND ".join(sorted({n.sql(dialect="sqlite") for n in nodes})), nodes[0]))
        elif key in unequal:
            kept, dropped = nodes[0].sql(dialect="sqlite"), unequal[key][0]
            same = _same(literals[0], column_and_literal(dropped)[1], kind)
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
                if _past_each_other(start, limit, strict, kind_of(column_and_literal(upper_node)[0])):
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
