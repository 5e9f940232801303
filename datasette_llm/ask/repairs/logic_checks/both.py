"""Either taken for both: `x IN (a, b)` or `x = a OR x = b` where the question wants rows with both values."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlglot import exp

from .where_parts import column_and_literal, operands

BOTH = re.compile(r"\bboth\b", re.IGNORECASE)


def either_for_both(select, question: str, links: Sequence = ()) -> list[str]:
    """`x IN (a, b)` / `x = a OR x = b` where the question says "both", or names the two values joined by
    "and" ("paragraph text 'Brazil' and 'Ireland'") and a row could stand for something that has both."""
    return [
        f"{node.sql(dialect='sqlite')} keeps rows that match either value, but the question asks for both: "
        "INTERSECT a query for each value (or GROUP BY ... HAVING COUNT(DISTINCT ...) = 2)"
        for node in select.find_all(exp.In, exp.Or)
        if node.parent_select is select
        and not node.find_ancestor(exp.Join)
        and (values := _either_values(node))
        and (BOTH.search(question) or (_joined_by_and(question, values) and not _each_row_its_own(select, links)))
    ]


def _each_row_its_own(select, links: Sequence) -> bool:
    """One table, no join, no GROUP BY, and none of the table's references to other tables selected: each row is
    one of the things the values name, which holds one value, so "A and B" lists them ("What are the prices of A
    and B?"), it does not ask for something with both. Sent to INTERSECT, such a query found nothing (an outside
    tester with the real model: 27 of 39). `document_id FROM paragraphs` selects a reference: a document may have
    both paragraphs."""
    if select.args.get("joins") or select.args.get("group"):
        return False
    source = select.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table):
        return False
    references = {link.column.lower() for link in links if link.table.lower() == table.name.lower()}
    if any(isinstance(e, exp.Star) or e.find(exp.Star) for e in select.expressions):
        return not references
    return not any(column.name.lower() in references for e in select.expressions for column in e.find_all(exp.Column))


def _either_values(node) -> list[str]:
    """The values of `x IN (a, b)` or `x = a OR x = b` (or `x LIKE a OR x LIKE b`); empty for anything else."""
    if isinstance(node, exp.In):
        if (
            node.args.get("query")
            or len(node.expressions) < 2
            or not isinstance(node.this, exp.Column)
            or isinstance(node.parent, exp.Not)
        ):
            return []
        return [
            value.this if isinstance(value, exp.Literal) else value.sql(dialect="sqlite") for value in node.expressions
        ]
    if isinstance(node.parent, exp.Or):
        return []
    keys, values = set(), []
    for part in operands(node, exp.Or):
        pair = column_and_literal(part) if isinstance(part, (exp.EQ, exp.Like)) else None
        if pair is None:
            return []
        keys.add(pair[0].sql(dialect="sqlite").lower())
        values.append(pair[1].this)
    return values if len(keys) == 1 else []


def _joined_by_and(question: str, values: Sequence[str]) -> bool:
    """Two values the question names with "and" (and no "or") between them."""
    if len(values) != 2:
        return False
    text = question.lower()
    places = sorted((text.find(v.strip("%").lower()), len(v.strip("%"))) for v in values if v.strip("%"))
    if len(places) != 2 or places[0][0] < 0:
        return False
    between = f" {text[places[0][0] + places[0][1] : places[1][0]]} "
    return re.search(r"\band\b", between) is not None and re.search(r"\bor\b", between) is None
