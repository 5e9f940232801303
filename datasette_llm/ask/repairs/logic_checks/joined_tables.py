"""JOINs that change the answer: ON clauses off the foreign keys, a table joined to itself on its key, tables that
only repeat rows, a ranking by one joined row for a total, a negation or IS NULL tested on each joined row."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlglot import exp

from ....sql.join_links import Link, column_ref, name_node, path_between
from ..join_tree import JoinTree, grouped, summarised, unused_repeats

TOTAL = re.compile(r"\b(in total|altogether|all together|combined|added up|the sum of)\b", re.IGNORECASE)


def joins_off_the_keys(joins: JoinTree, links: Sequence[Link]) -> list[str]:
    """`ON car_makers.Id = car_names.Make`: equal columns that no foreign key pairs, between tables that the
    foreign keys do connect (directly through other columns, or through other tables)."""
    doubts = []
    for equality in joins.equalities:
        if equality.link is not None:
            continue
        a, b = joins.sources[equality.left], joins.sources[equality.right]
        route = path_between(a, {b}, links) if a.lower() != b.lower() else []
        if route:
            eq = equality.condition
            doubts.append(
                f"ON {eq.sql(dialect='sqlite')} compares {a}.{eq.this.name} with "
                f"{b}.{eq.expression.name}, which no foreign key links; the foreign keys go "
                + ", ".join(link.text() for link in route)
            )
    return doubts


def joined_to_itself_on_its_key(joins: JoinTree, links: Sequence[Link]) -> list[str]:
    """`car_makers AS T1 JOIN car_makers AS T2 ON T1.Id = T2.Id`: each row meets only itself, so the second copy
    adds nothing; the rows the question wanted are in a table whose foreign key refers to that column. Only a
    column some foreign key refers to counts as a key (one row per value); pairs sharing a city are another matter."""
    doubts = []
    for equality in joins.equalities:
        eq = equality.condition
        table = joins.sources[equality.left]
        if table.lower() != joins.sources[equality.right].lower() or eq.this.name.lower() != eq.expression.name.lower():
            continue
        referring = [
            link
            for link in links
            if link.other.lower() == table.lower()
            and link.other_column.lower() == eq.this.name.lower()
            and link.other_is_key
        ]
        if referring:
            instead = _referring_table_instead(joins, equality, referring[0]) if len(referring) == 1 else None
            doubts.append(
                f"ON {eq.sql(dialect='sqlite')} joins {table} to itself on its key {eq.this.name}, so each row meets "
                "only itself and the JOIN adds nothing; the rows that refer to it are in "
                + ", ".join(link.text() for link in referring)
                + (f"; to join those, write {instead}" if instead else "")
            )
    return doubts


def _referring_table_instead(joins: JoinTree, equality, link: Link) -> str | None:
    """The whole query with the table's second copy replaced by the table that refers to it (`JOIN model_list AS
    T2 ON T1.Id = T2.Maker`), the columns it read taken from the first copy; None inside another statement."""
    select = joins.select
    if select.parent is not None:
        return None
    eq = equality.condition
    found = [
        place
        for place, join in enumerate(select.args.get("joins") or [])
        if join.args.get("on") is not None and any(node is eq for node in join.args["on"].find_all(exp.EQ))
    ]
    if len(found) != 1:
        return None
    copy = (select.args["joins"][found[0]].this.alias_or_name or "").lower()
    if copy not in (equality.left, equality.right):
        return None
    first, second = (eq.expression, eq.this) if copy == equality.left else (eq.this, eq.expression)
    rewritten = select.copy()
    for column in rewritten.find_all(exp.Column):
        if column.table.lower() == copy:
            column.set("table", name_node(first.table))
    join = rewritten.args["joins"][found[0]]
    join.set(
        "this",
        exp.Table(this=name_node(link.table), alias=exp.TableAlias(this=name_node(second.table))),
    )
    join.set("on", exp.EQ(this=first.copy(), expression=column_ref(second.table, link.column)))
    return rewritten.sql(dialect="sqlite")


def negated_joined_row(conditions, joins: JoinTree) -> list[str]:
    doubts = []
    for node in conditions:
        if isinstance(node, exp.NEQ):
            target, wanted = node.this, exp.EQ(this=node.this.copy(), expression=node.expression.copy())
        elif (
            isinstance(node, exp.Not) and isinstance(node.this, (exp.In, exp.Like)) and not node.this.args.get("query")
        ):  # NOT IN (SELECT ...) is the form the doubt asks for
            target, wanted = node.this.this, node.this
        else:
            continue
        alias = joins.alias_of(target) if isinstance(target, exp.Column) else None
        if alias not in joins.repeats:
            continue
        table, owner, wanted = joins.sources[alias], joins.sources[joins.repeats[alias]], wanted.sql(dialect="sqlite")
        exclusion = joins.exclusion(target, wanted)
        whole = joins.without(node, exclusion, joins.chain(alias))
        doubts.append(
            f"{node.sql(dialect='sqlite')} is tested on each joined {table} row, so a {owner} row with "
            f"{wanted} and also another {table} row is still kept through the other; to leave out every "
            f"{owner} row that has one, write "
            + (whole if whole else f"{exclusion} in place of {node.sql(dialect='sqlite')}")
        )
    return doubts


def null_on_an_inner_join(conditions, joins: JoinTree) -> list[str]:
    """ "the semester with no students enrolled" answered with `JOIN Student_Enrolment ... WHERE T2.student_id IS
    NULL`: an INNER JOIN only finds rows that have a related row, so those with none are not there to test."""
    doubts = []
    inner = {
        (join.this.alias_or_name or "").lower()
        for join in joins.select.args.get("joins") or []
        if not join.side and join.kind.upper() in ("", "INNER")
    }
    for node in conditions:
        if not (
            isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and isinstance(node.this, exp.Column)
        ):
            continue
        alias = joins.alias_of(node.this)
        if alias not in joins.repeats or not set(joins.chain(alias)) <= inner:
            continue
        table, owner = joins.sources[alias], joins.sources[joins.repeats[alias]]
        exclusion = joins.exclusion(node.this, None)
        whole = joins.without(node, exclusion, joins.chain(alias))
        doubts.append(
            f"{node.sql(dialect='sqlite')} is tested on the rows the JOIN found, so a {owner} row with no "
            f"{table} row is not there to test; to keep the {owner} rows that have none, write "
            + (whole if whole else f"{exclusion} in place of {node.sql(dialect='sqlite')}")
        )
    return doubts


def repeating_joins(select, joins: JoinTree) -> list[str]:
    """Joined tables that repeat rows yet give the query nothing but their ON clause."""
    if select.args.get("distinct") or summarised(select):
        return []
    sources = joins.sources
    return [
        f"the JOIN with {sources[alias]} uses none of its columns but repeats each {sources[origin]} row once "
        f"per related {sources[alias]} row (and drops those with none); leave it out, or use DISTINCT if only "
        "those with a related row are wanted"
        for alias, origin in unused_repeats(select, joins).items()
    ]


def ranked_by_one_joined_row(select, joins: JoinTree, question: str) -> list[str]:
    """ "the visitor who spent the most in total" answered with `... JOIN visit ... ORDER BY T2.Total_spent DESC
    LIMIT 1`: the rows ranked are single visits, so a visitor's visits are never added up. Only when the
    question asks for a total in words, the result shows nothing of the joined rows and nothing is grouped:
    "the visitor who bought the most tickets at once" is ranked by one visit, rightly."""
    order = select.args.get("order")
    if order is None or len(order.expressions) != 1 or grouped(select) or not TOTAL.search(question):
        return []
    key = order.expressions[0].this
    alias = joins.alias_of(key) if isinstance(key, exp.Column) else None
    if alias not in joins.repeats:
        return []
    chain = set(joins.chain(alias))
    if any(joins.alias_of(column) in chain for shown in select.expressions for column in shown.find_all(exp.Column)):
        return []
    origin, link = joins.repeats[alias], joins.steps[joins.chain(alias)[-1]].condition
    own = link.this if link.this.table.lower() == origin else link.expression
    table, owner = joins.sources[alias], joins.sources[origin]
    rewritten = select.copy()
    rewritten.set("group", exp.Group(expressions=[own.copy()]))
    ranked = rewritten.args["order"].expressions[0]
    ranked.set("this", exp.Sum(this=ranked.this.copy()))
    return [
        f"ORDER BY {key.sql(dialect='sqlite')} ranks single {table} rows (one {owner} has many), so no {owner}'s "
        f"{table} rows are added up, though the question asks for a total; to rank each {owner} by the total of "
        f"its {table} rows, write {rewritten.sql(dialect='sqlite')}"
    ]
