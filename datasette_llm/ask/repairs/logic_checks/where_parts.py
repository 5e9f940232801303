"""The parts of a WHERE the checks read: its AND-ed (or OR-ed) operands, a column compared with a literal."""

from __future__ import annotations

from sqlglot import exp


def conjuncts(where) -> list[exp.Expression]:
    """The AND-ed conditions of a WHERE (an OR is one condition)."""
    return [] if where is None else operands(where.this, exp.And)


def operands(node, connective: type[exp.Connector]) -> list[exp.Expression]:
    """`a AND (b AND c)` -> [a, b, c] for exp.And (likewise for exp.Or), in order, parentheses dropped."""
    found, stack = [], [node]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Paren):
            stack.append(node.this)
        elif isinstance(node, connective):
            stack += [node.expression, node.this]
        else:
            found.append(node)
    return found


def column_and_literal(node) -> tuple[exp.Column, exp.Literal] | None:
    left, right = node.this, node.expression
    if isinstance(left, exp.Column) and isinstance(right, exp.Literal):
        return left, right
    if isinstance(right, exp.Column) and isinstance(left, exp.Literal):
        return right, left
    return None
