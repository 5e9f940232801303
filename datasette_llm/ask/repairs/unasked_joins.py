"""A JOIN the question never asked for: `... FROM singer AS T1 JOIN singer_in_concert AS T2 ON ... WHERE
T1.Age > ...` for "song names by singers above the average age".

The JOIN uses none of the joined table's columns, so it only repeats each singer once per concert and leaves
out singers without one. When the question does not name the joined table either, the JOIN is left out (a
mend, listed with the attempt). Only for a plain top-level SELECT (DISTINCT allowed): with GROUP BY, an
aggregate or LIMIT 1 the repeated rows may be what is counted or ranked.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from ...sql.join_links import Link
from ...sql.parsing import parse_one
from .join_tree import JoinTree, aliases, summarised, unused_repeats
from .name_words import identifier_words, question_stems, stem


def drop_unasked_joins(
    sql: str, question: str, columns: dict[str, Sequence[str]], links: Sequence[Link]
) -> tuple[str, str] | None:
    """The query without JOINs that only repeat (and filter) rows, use none of their columns, link only on a
    foreign key and join a table the question does not name; with a description of the change. None when there
    is none to drop."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(tree, exp.Select) or summarised(tree):
        return None
    sources = aliases(tree, columns)
    if len(sources) < 2:
        return None
    joins = JoinTree(tree, sources, links, columns)
    unused = unused_repeats(tree, joins)
    kept_words = set().union(*(_name_words(table) for alias, table in sources.items() if alias not in unused))
    dropped = {
        alias
        for alias in unused
        if (words := _name_words(sources[alias]) - kept_words) and not any(_names(question, w) for w in words)
    }
    dropped |= {alias for alias in joins.steps if any(a in dropped for a in _ancestors(alias, joins))}
    if (
        not dropped
        or not dropped <= set(unused)
        or not _only_in_own_joins(tree, dropped)
        or not all(_links_only(join) for join in tree.args.get("joins") or [] if _join_alias(join) in dropped)
    ):
        return None
    remaining = [join for join in tree.args.get("joins") or [] if _join_alias(join) not in dropped]
    tree.set("joins", remaining or None)
    names = ", ".join(sources[alias] for alias in unused if alias in dropped)
    return tree.sql(dialect="sqlite"), (
        f"left out the JOIN with {names}: the query uses none of its columns, the "
        "question does not mention it, and it only repeated (and filtered) rows"
    )


NAME_FILLER = {"in", "of", "and", "the", "has", "have", "ref", "to", "by", "for", "a", "an", "on"}


def _name_words(table: str) -> set[str]:
    """`Student_Enrolment_Courses` -> {'student', 'enrolment', 'courses'}; `hasPet` -> {'pet'}."""
    return set(identifier_words(table)) - NAME_FILLER


def _names(question: str, word: str) -> bool:
    """Whether the question uses the word, loosely ('concerts' for concert, 'enrolled' for enrolment)."""
    return stem(word) in question_stems(question)


def _ancestors(alias: str, joins: JoinTree) -> list[str]:
    found = []
    while alias in joins.steps:
        alias = joins.steps[alias].parent
        found.append(alias)
    return found


def _join_alias(join) -> str:
    return (join.this.alias_or_name or "").lower()


def _links_only(join) -> bool:
    """`JOIN t ON a.x = t.y` and nothing else: dropping it drops no condition of the question's."""
    condition = join.args.get("on")
    return (
        isinstance(condition, exp.EQ)
        and isinstance(condition.this, exp.Column)
        and isinstance(condition.expression, exp.Column)
    )


def _only_in_own_joins(select, dropped: set[str]) -> bool:
    """No column of a dropped table appears outside the ON clauses of the dropped JOINs."""
    for column in select.find_all(exp.Column):
        join = column.find_ancestor(exp.Join)
        if column.table.lower() in dropped and (join is None or _join_alias(join) not in dropped):
            return False
    return True
