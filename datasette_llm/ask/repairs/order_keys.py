"""What an ORDER BY term of a SELECT orders by, as SQLite reads it: `ORDER BY 2` the second output column, a bare
name that is an output column's alias that column's expression (the first such alias), anything else itself.
SQLite reads both through parentheses and a COLLATE (`(2)`, `2 COLLATE NOCASE`, `(s)`): the output column, with
the COLLATE kept (an outside tester, session 57: read as constants, a tie note counted 3 rows tied where none
was). A window's ORDER BY reads neither positions nor aliases."""

from __future__ import annotations

from sqlglot import exp


def ordered_value(ordered: exp.Ordered) -> exp.Expression:
    """The expression `ordered` orders by (without its alias)."""
    key, select = ordered.this, ordered.parent.parent if ordered.parent else None
    if not isinstance(select, exp.Select) or ordered.parent is not select.args.get("order"):
        return key
    collations = []
    term = key
    while isinstance(term, (exp.Paren, exp.Collate)):
        if isinstance(term, exp.Collate):
            collations.append(term.expression)
        term = term.this
    value = _output_column(term, select.expressions)
    if value is None:
        return key
    for collation in reversed(collations):
        value = exp.Collate(this=value.copy(), expression=collation.copy())
    return value


def _output_column(term: exp.Expression, projections) -> exp.Expression | None:
    if isinstance(term, exp.Literal) and term.is_int and 1 <= int(term.this) <= len(projections):
        value = projections[int(term.this) - 1]
        return value.this if isinstance(value, exp.Alias) else value
    if isinstance(term, exp.Column) and not term.table:
        for projection in projections:
            if isinstance(projection, exp.Alias) and projection.alias.lower() == term.name.lower():
                return projection.this
    return None
