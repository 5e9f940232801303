"""How the tables of one SELECT hang together through the foreign keys in its ON clauses.

Read by the logic checks and the JOIN mends: which alias is which table, which ON equality follows which
foreign key, how each joined table is reached from the FROM table, and which joined tables repeat the rows of
another (one student, many has_pet rows) while the query uses none of their columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlglot
from sqlglot import exp

from ...sql.join_links import Link, select_tables


def aliases(select, columns: dict[str, Sequence[str]]) -> dict[str, str]:
    """alias (lower) -> real table name, in FROM-then-JOIN order, for the real tables of one SELECT."""
    real = {name.lower(): name for name in columns}
    return {
        (table.alias or table.name).lower(): real[table.name.lower()]
        for table in select_tables(select)
        if table.name.lower() in real
    }


class Equality(NamedTuple):
    """`left.x = right.y` in an ON clause, between two tables of the SELECT, and the foreign key it follows."""

    condition: exp.EQ
    left: str  # alias (lower)
    right: str
    link: Link | None
    left_references_right: bool  # the link's column is on the left


class Step(NamedTuple):
    parent: str  # alias of the table this one is joined to, on the way from the FROM table
    fans_out: bool  # the step follows a foreign key backwards: one student, many has_pet rows
    condition: exp.EQ


class JoinTree:
    """How the tables of one SELECT hang together through the foreign keys in its ON clauses."""

    def __init__(self, select, sources: dict[str, str], links: Sequence[Link], columns):
        self.select, self.sources, self.columns = select, sources, columns
        self.equalities = self._equalities(links)
        self.steps = self._steps()
        self.repeats = {alias: origin for alias in self.steps if (origin := self._origin(alias)) is not None}

    def _equalities(self, links: Sequence[Link]) -> list[Equality]:
        keys = {
            (link.table.lower(), link.column.lower(), link.other.lower(), link.other_column.lower()): link
            for link in links
        }
        sources, found = self.sources, []
        for join in self.select.args.get("joins") or []:
            condition = join.args.get("on")
            for eq in condition.find_all(exp.EQ) if condition is not None else ():
                left, right = eq.this, eq.expression
                if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
                    continue
                a, b = left.table.lower(), right.table.lower()
                if a not in sources or b not in sources or a == b:
                    continue
                forward = keys.get((sources[a].lower(), left.name.lower(), sources[b].lower(), right.name.lower()))
                backward = keys.get((sources[b].lower(), right.name.lower(), sources[a].lower(), left.name.lower()))
                found.append(Equality(eq, a, b, backward or forward, backward is None and forward is not None))
        return found

    def _steps(self) -> dict[str, Step]:
        edges: dict[str, list[tuple[str, bool, exp.EQ]]] = {alias: [] for alias in self.sources}
        for equality in self.equalities:
            if equality.link is None:
                continue
            referencing, referenced = (
                (equality.left, equality.right) if equality.left_references_right else (equality.right, equality.left)
            )
            # Seen from the referenced table, the referencing one fans out (unless it holds one row per row).
            edges[referenced].append((referencing, not equality.link.one_to_one, equality.condition))
            # Seen from the referencing table, one row, unless the referenced column repeats values.
            edges[referencing].append((referenced, not equality.link.other_is_key, equality.condition))
        steps: dict[str, Step] = {}
        first = next(iter(self.sources))
        queue, seen = [first], {first}
        while queue:
            alias = queue.pop(0)
            for other, fans, eq in edges[alias]:
                if other not in seen:
                    seen.add(other)
                    steps[other] = Step(alias, fans, eq)
                    queue.append(other)
        return steps

    def _origin(self, alias: str) -> str | None:
        """The alias whose rows this joined table repeats (the top of its highest step that fans out)."""
        origin = None
        while alias in self.steps:
            step = self.steps[alias]
            if step.fans_out:
                origin = step.parent
            alias = step.parent
        return origin

    def alias_of(self, column: exp.Column) -> str | None:
        if column.table:
            return column.table.lower() if column.table.lower() in self.sources else None
        holders = [
            alias
            for alias, table in self.sources.items()
            if column.name.lower() in {c.lower() for c in self.columns[table]}
        ]
        return holders[0] if len(holders) == 1 else None

    def chain(self, alias: str) -> list[str]:
        """The aliases from `alias` up to (not including) the alias whose rows it repeats."""
        found, origin = [], self.repeats[alias]
        while alias != origin:
            found.append(alias)
            alias = self.steps[alias].parent
        return found

    def exclusion(self, column, wanted: str | None) -> str | None:
        """`T1.StuID NOT IN (SELECT T2.StuID FROM Has_Pet AS T2 JOIN Pets AS T3 ON ... WHERE wanted)`: the rows
        of the repeated table that have no related row where `wanted` holds (no related row at all when
        `wanted` is None). None when the column is not on a joined table that repeats rows."""
        alias = self.alias_of(column) if isinstance(column, exp.Column) else None
        if alias not in self.repeats:
            return None
        chain = self.chain(alias)
        top, origin = chain[-1], self.repeats[alias]
        link = self.steps[top].condition
        mine, theirs = (
            (link.this, link.expression) if link.this.table.lower() == origin else (link.expression, link.this)
        )
        tables = self._table_sql()
        joined = "".join(
            f" JOIN {tables[child]} ON {self.steps[child].condition.sql(dialect='sqlite')}"
            for child in reversed(chain[:-1])
        )
        where = f" WHERE {wanted}" if wanted is not None else ""
        return (
            f"{mine.sql(dialect='sqlite')} NOT IN (SELECT {theirs.sql(dialect='sqlite')} FROM {tables[top]}"
            f"{joined}{where})"
        )

    def without(self, condition, replacement: str, chain: list[str]) -> str | None:
        """The whole query with `condition` replaced and the JOINs of `chain` dropped, when nothing else uses
        them; else None (and for a SELECT inside another statement, which this would not show whole)."""
        if self.select.parent is not None:
            return None
        dropped = set(chain)
        if any(
            column.table.lower() in dropped
            for column in self.select.find_all(exp.Column)
            if column.parent_select is self.select
            and not column.find_ancestor(exp.Join)
            and not _inside(column, condition)
        ):
            return None
        if any(step.parent in dropped for alias, step in self.steps.items() if alias not in dropped):
            return None
        rewritten = self.select.copy()
        joins = [
            join for join in rewritten.args.get("joins") or [] if (join.this.alias_or_name or "").lower() not in dropped
        ]
        rewritten.set("joins", joins or None)
        for node in rewritten.find_all(type(condition)):
            if node == condition:
                node.replace(sqlglot.parse_one(replacement, read="sqlite"))
                break
        return rewritten.sql(dialect="sqlite")

    def _table_sql(self) -> dict[str, str]:
        return {
            (table.alias or table.name).lower(): table.sql(dialect="sqlite") for table in select_tables(self.select)
        }


def _inside(node, ancestor) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def summarised(select) -> bool:
    """GROUP BY, an aggregate or LIMIT 1: joined rows that repeat may be what is counted or ranked."""
    return grouped(select) or limit_one(select)


def grouped(select) -> bool:
    """GROUP BY or an aggregate of this SELECT's own rows."""
    return bool(select.args.get("group")) or any(
        aggregate.parent_select is select for aggregate in select.find_all(exp.AggFunc)
    )


def unused_repeats(select, joins: JoinTree) -> dict[str, str]:
    """alias -> the alias whose rows it repeats, for joined tables none of whose columns the SELECT uses
    (outside ON clauses) and that no used table is joined through."""
    sources = joins.sources
    used = set()
    for column in select.find_all(exp.Column):
        if column.parent_select is not select or column.find_ancestor(exp.Join):
            continue
        if column.table:
            used.add(column.table.lower())
        else:  # unqualified: every table that has it, to stay on the safe side
            used |= {
                alias
                for alias, table in sources.items()
                if column.name.lower() in {c.lower() for c in joins.columns[table]}
            }
    needed = set()
    for alias in used:
        while alias in sources and alias not in needed:
            needed.add(alias)
            alias = joins.steps[alias].parent if alias in joins.steps else None
    return {alias: origin for alias, origin in joins.repeats.items() if alias not in needed}


def limit_one(select) -> bool:
    limit = select.args.get("limit")
    value = limit.expression if limit is not None else None
    return isinstance(value, exp.Literal) and value.this == "1"
