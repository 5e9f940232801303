"""Joins that link nothing: `FROM cars_data AS T1 JOIN car_names AS T2 ON T2.MakeId = T2.MakeId`.

Small models often write an ON clause that mentions only one of the two tables (the same column on both
sides, or two columns of one table). SQLite accepts it and pairs every row with every row, so the result
looks plausible and is wrong. On Spider's car_1 this was the most common wrong query left after repair.

For each `JOIN t ON ...` whose condition does not link `t` to a table before it:
- when the foreign keys give exactly one pair of columns between `t` and the earlier tables, the ON clause
  is rewritten to compare that pair (a fix, reported like the name fixes);
- otherwise the problem is described with the foreign keys that would link it, for the repair turn.
Joins without ON (comma joins, CROSS JOIN, USING) and anything that cannot be resolved are left alone.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite

from .parsing import parse_one

MAX_PATH_HOPS = 3


@dataclass(frozen=True)
class Link:
    """One foreign key: table.column references other.other_column."""

    table: str
    column: str
    other: str
    other_column: str
    one_to_one: bool = False  # the column is its table's whole primary key: one row per referenced row
    # The referenced column holds each value once (its table's primary key, or UNIQUE): one row per value. SQLite
    # accepts REFERENCES to any column; read as a key, a self-join on a name two cities share was said to add
    # nothing (an outside tester, session 57).
    other_is_key: bool = True

    def column_of(self, table: str) -> str:
        return self.column if table.lower() == self.table.lower() else self.other_column

    def text(self) -> str:
        return f"{self.table}.{self.column} = {self.other}.{self.other_column}"


@dataclass
class JoinCheck:
    sql: str
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # what each change mends, as the problem to send back when the mended query cannot be used
    mended: list[str] = field(default_factory=list)


def foreign_links(tables: Iterable) -> tuple[Link, ...]:
    """Links from TableSchema objects (their foreign_keys) to tables that are also in the list."""
    tables = list(tables)
    names = {t.name.lower(): t.name for t in tables}
    keys = {t.name.lower(): {c.lower() for c in t.key_columns()} for t in tables}
    return tuple(
        Link(
            t.name,
            column,
            names[other.lower()],
            other_column,
            [c.lower() for c in t.primary_key] == [column.lower()],
            other_column.lower() in keys[other.lower()],
        )
        for t in tables
        for column, other, other_column in t.foreign_keys
        if other.lower() in names
    )


@dataclass(frozen=True)
class _Source:
    alias: str  # lower case, for matching
    label: str  # as written
    table: str | None  # real table name, None for subqueries, CTEs and unknown tables


def check_joins(sql: str, columns: dict[str, Sequence[str]], links: Sequence[Link]) -> JoinCheck:
    """Find (and where exactly one foreign key fits, fix) ON clauses that do not link the joined table."""
    result = JoinCheck(sql)
    if not links:
        return result
    try:
        tree = parse_one(sql)
    except sqlglot.errors.ParseError:
        return result
    real = {name.lower(): name for name in columns}
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for select in list(tree.find_all(exp.Select)):
        first = select.args.get("from_")
        if first is None:
            continue
        sources = [_source(first.this, real, ctes)]
        for join in select.args.get("joins") or []:
            sources.append(_source(join.this, real, ctes))
            condition = join.args.get("on")
            if condition is None or sources[-1].table is None:
                continue
            referenced = _referenced_sources(condition, sources, columns)
            new = len(sources) - 1
            if not referenced or (new in referenced and len(referenced) > 1):
                continue  # linked, or not resolvable (left to the guard and SQLite)
            _repair(join, condition, sources, links, result)
    if result.changes:
        result.sql = tree.sql(dialect="sqlite")
    return result


def _source(node, real: dict[str, str], ctes: set[str]) -> _Source:
    if isinstance(node, exp.Table) and not node.args.get("db"):
        name = node.name.lower()
        table = None if name in ctes else real.get(name)
        return _Source((node.alias or node.name).lower(), node.alias or node.name, table)
    return _Source(node.alias_or_name.lower(), node.alias_or_name, None)


def _referenced_sources(condition, sources: list[_Source], columns) -> set[int] | None:
    """Indexes of the sources the ON clause's columns belong to; empty when any column is unresolvable."""
    found = set()
    for column in condition.find_all(exp.Column):
        if column.find_ancestor(exp.Subquery, exp.Join) is not condition.find_ancestor(exp.Subquery, exp.Join):
            continue  # inside a subquery of the ON clause
        qualifier = column.table.lower()
        if qualifier:
            matches = [i for i, s in enumerate(sources) if s.alias == qualifier]
        else:
            name = column.name.lower()
            matches = [i for i, s in enumerate(sources) if s.table and name in {c.lower() for c in columns[s.table]}]
        if len(matches) != 1:
            return set()
        found.add(matches[0])
    return found


def _repair(join, condition, sources: list[_Source], links: Sequence[Link], result: JoinCheck) -> None:
    new = sources[-1]
    before = condition.sql(dialect="sqlite")
    options = [
        (source, link)
        for source in sources[:-1]
        if source.table and source.table != new.table
        for link in links_between(source.table, new.table, links)
    ]
    if len(options) == 1:
        source, link = options[0]
        pair = exp.EQ(
            this=column_ref(source.label, link.column_of(source.table)),
            expression=column_ref(new.label, link.column_of(new.table)),
        )
        join.set("on", pair)
        result.changes.append(
            f"JOIN {new.table} ON {before} linked no tables; joined on the foreign key {pair.sql(dialect='sqlite')}"
        )
        result.mended.append(f"{_unlinked(new, before)}; the foreign key that links it: {link.text()}")
        return
    problem = _unlinked(new, before)
    if options:
        problem += "; the foreign keys that link it: " + ", ".join(link.text() for _, link in options)
    else:
        path = path_between(new.table, {s.table for s in sources[:-1] if s.table and s.table != new.table}, links)
        if path:
            problem += "; the foreign keys go " + ", ".join(link.text() for link in reversed(path))
    result.problems.append(problem)


def _unlinked(new: _Source, before: str) -> str:
    return (
        f"JOIN {new.table} ON {before} does not link {new.table} to the other tables in FROM, "
        "so every row is paired with every row"
    )


def column_ref(alias: str, name: str) -> exp.Column:
    """`alias.name`, quoting either part only when it needs it."""
    return exp.column(name_node(name), table=name_node(alias))


def name_node(name: str) -> exp.Identifier:
    """`name` as an identifier a mend writes: bare when it is a plain word both SQLite and sqlglot read as a name,
    else quoted. A table named `order` written bare (`order.id`) was a syntax error in SQL the model never wrote
    (an outside tester, session 56)."""
    return exp.to_identifier(name, quoted=not _bare_word(name))


@functools.lru_cache(maxsize=1024)
def _bare_word(name: str) -> bool:
    if not re.fullmatch(r"[A-Za-z_]\w*", name) or name.upper() in SQLite.Tokenizer.KEYWORDS:
        return False
    conn = sqlite3.connect(":memory:")
    try:  # SQLite's own reading: ORDER, GROUP, SELECT... are keywords there, `key` or `action` are not
        conn.execute(f'select {name}.a from (select 1 as a) as "{name}"')
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def select_tables(select) -> list[exp.Table]:
    """The table nodes of one SELECT's FROM and JOINs, in that order (subqueries and functions left out)."""
    nodes = [select.args.get("from_")] + list(select.args.get("joins") or [])
    return [node.this for node in nodes if node is not None and isinstance(node.this, exp.Table)]


def column_table(column: exp.Column, columns: dict[str, Sequence[str]]) -> str | None:
    """The real table a column belongs to: by its qualifier, or the one table of its SELECT that has it; a name
    no table of its SELECT has is looked up in the enclosing SELECTs (a correlated reference). None if unsure."""
    real = {name.lower(): name for name in columns}
    select = column.parent_select
    while select is not None:
        sources = {
            (t.alias or t.name).lower(): real[t.name.lower()] for t in select_tables(select) if t.name.lower() in real
        }
        if column.table:
            if column.table.lower() in sources:
                return sources[column.table.lower()]
        else:
            holders = {t for t in sources.values() if column.name.lower() in {c.lower() for c in columns[t]}}
            if holders:
                return holders.pop() if len(holders) == 1 else None
        select = select.parent_select
    return None


def stored_column(column: exp.Column, columns: dict[str, Sequence[str]]) -> tuple[str, str] | None:
    """(the real table, the column's name as the schema spells it) for a column reference, or None if unsure."""
    table = column_table(column, columns)
    real = next((name for name in columns.get(table, ()) if name.lower() == column.name.lower()), None)
    return None if table is None or real is None else (table, real)


def hops(route: Sequence[Link], labels: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """The JOINs that follow `route` outwards from the query's tables, as (new table, label of the table it joins
    to, that table's column, the new table's column). `labels` maps each table already in the query (lower case)
    to how the query names it; the new tables are added to it under their own names."""
    found = []
    for link in reversed(route):
        new, old = (link.other, link.table) if link.table.lower() in labels else (link.table, link.other)
        labels.setdefault(new.lower(), new)
        found.append((new, labels[old.lower()], link.column_of(old), link.column_of(new)))
    return found


def links_between(table: str, other: str, links: Sequence[Link]) -> list[Link]:
    """The foreign keys that join these two tables directly, in either direction."""
    pair = {table.lower(), other.lower()}
    return [link for link in links if {link.table.lower(), link.other.lower()} == pair]


def path_between(start: str, targets: set[str], links: Sequence[Link]) -> list[Link]:
    """Shortest chain of foreign keys from start to any target table (at most MAX_PATH_HOPS links)."""
    goal = {t.lower() for t in targets}
    queue = deque([(start.lower(), [])])
    seen = {start.lower()}
    while queue:
        table, path = queue.popleft()
        if table in goal and path:
            return path
        if len(path) >= MAX_PATH_HOPS:
            continue
        for link in links:
            ends = (link.table.lower(), link.other.lower())
            if table not in ends:
                continue
            other = ends[1] if ends[0] == table else ends[0]
            if other not in seen:
                seen.add(other)
                queue.append((other, path + [link]))
    return []
