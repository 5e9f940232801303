"""What an ORDER BY term of a SELECT orders by, as SQLite reads it: `ORDER BY 2` the second output column, a bare
name that is an output column's alias that column's expression (the first such alias), anything else itself.
A window's ORDER BY reads neither positions nor aliases."""

from __future__ import annotations

from sqlglot import exp


def ordered_value(ordered: exp.Ordered) -> exp.Expression:
    """The expression `ordered` orders by (without its alias)."""
    key, select = ordered.this, ordered.parent.parent if ordered.parent else None
    if not isinstance(select, exp.Select) or ordered.parent is not select.args.get("order"):
        return key
    projections = select.expressions
    if isinstance(key, exp.Literal) and key.is_int and 1 <= int(key.this) <= len(projections):
        value = projections[int(key.this) - 1]
        return value.this if isinstance(value, exp.Alias) else value
    if isinstance(key, exp.Column) and not key.table:
        for projection in projections:
            if isinstance(projection, exp.Alias) and projection.alias.lower() == key.name.lower():
                return projection.this
    return key
