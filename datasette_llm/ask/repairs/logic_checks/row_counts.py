"""How many rows: a LIMIT the question never asked for, a COUNT over groups of one row."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlglot import exp

from ....sql.join_links import Link

NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def unasked_row_limit(select, question: str, row_cap: int | None) -> list[str]:
    """`LIMIT 2` for "the first and second line of all addresses": without ORDER BY, a count of arbitrary rows
    the question never gives. (With ORDER BY it is a ranking cut-off, "the repos with most stars".)"""
    limit = select.args.get("limit")
    value = limit.expression if limit is not None else None
    if not (isinstance(value, exp.Literal) and value.is_int) or int(value.this) == row_cap or select.args.get("order"):
        return []
    count = int(value.this)
    if (
        not 2 <= count <= 100
        or re.search(rf"\b{count}\b", question)
        or (count <= 10 and re.search(rf"\b{NUMBER_WORDS[count - 2]}\b", question, re.IGNORECASE))
    ):
        return []
    return [
        f"LIMIT {count} without ORDER BY keeps {count} arbitrary rows, but the question gives no number of "
        "rows: leave the LIMIT out unless the question asks for that many"
    ]


def count_of_one_row_groups(select, sources: dict[str, str], links: Sequence[Link]) -> list[str]:
    """`SELECT name FROM documents GROUP BY document_id ORDER BY count(*)`: grouped by a key of the only table,
    every group is one row and the count is always 1; what was meant counts the rows that refer to it."""
    if (
        len(sources) != 1
        or select.args.get("joins")
        or not any(count.parent_select is select for count in select.find_all(exp.Count))
    ):
        return []
    table = next(iter(sources.values()))
    group = select.args.get("group")
    grouped = {c.name.lower() for c in (group.expressions if group else []) if isinstance(c, exp.Column)}
    referring = [
        link
        for link in links
        if link.other.lower() == table.lower()
        and link.other_column.lower() in grouped
        and link.table.lower() != table.lower()
        and link.other_is_key
    ]
    if not referring:
        return []
    key = referring[0].other_column
    return [
        f"GROUP BY {key} makes every group one {table} row ({key} is a key other tables refer to), so COUNT "
        f"is 1 in each; to count the related rows, JOIN the table that refers to it: "
        + ", ".join(f"{link.table} ON {link.text()}" for link in referring)
    ]
