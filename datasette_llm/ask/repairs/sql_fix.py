"""Deterministic repairs of names the model got almost right, before asking the model again.

Small models mostly fail on names: `pet_type` for `PetType`, or `T2.Document_Name` when the column lives in
T1's table. When a rejection names an identifier and exactly one real name fits, the SQL is rewritten on
its AST (sqlglot, no string surgery) and validated again by the caller. Anything ambiguous is left to the
model's repair turn.
"""

from __future__ import annotations

import re
import sqlite3

import sqlglot
from sqlglot import exp

from ...sql.join_links import links_between, name_node, select_tables
from ...sql.parsing import parse_one
from ...sql.results import Rejection, SchemaInfo

MAX_FIXES = 4


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.lower())


def _tables_in(tree) -> dict[str, str]:
    """alias-or-name (lower) -> real table name, for every table in the query."""
    found = {}
    for table in tree.find_all(exp.Table):
        found[(table.alias or table.name).lower()] = table.name
        found[table.name.lower()] = table.name
    return found


def real_table(schema: SchemaInfo, name: str) -> str | None:
    lower = name.lower()
    return next((t for t in schema.tables if t.lower() == lower), None)


def fix_column(tree, identifier: str, schema: SchemaInfo) -> str | None:
    """Rewrite references to an unknown column; returns a description of the fix, or None."""
    in_query = _tables_in(tree)
    tables = {real for real in (real_table(schema, t) for t in in_query.values()) if real}
    columns = [node for node in tree.find_all(exp.Column) if node.name.lower() == identifier.lower()]
    if not columns or not tables:
        return None
    # 1. The exact column exists in exactly one other table of the query: fix the qualifier.
    owners = [t for t in tables if identifier.lower() in {c.lower() for c in schema.tables[t]}]
    if len(owners) == 1:
        owner = owners[0]
        alias = (
            next((a for a, real in in_query.items() if real.lower() == owner.lower() and a != owner.lower()), None)
            or owner
        )
        changed = False
        for node in columns:
            if node.table and node.table.lower() != alias.lower() and node.table.lower() != owner.lower():
                if _would_compare_with_itself(node, alias) and not links_between(
                    in_query.get(node.table.lower(), node.table), owner, schema.links
                ):
                    # `ON T1.Model = T2.Model` must not become `T2.Model = T2.Model` when no foreign key can
                    # relink the two tables (join_links does that when one can): a table is missing.
                    continue
                node.set("table", name_node(alias))
                changed = True
        if changed:
            return f"{identifier} belongs to {owner}"
    # 2. Exactly one column of the query's tables has the same name apart from case, spaces and underscores.
    matches = {c for t in tables for c in schema.tables[t] if _norm(c) == _norm(identifier)}
    if len(matches) == 1 and next(iter(matches)).lower() != identifier.lower():  # the same name: the table is wrong
        real = matches.pop()
        for node in columns:
            node.set("this", name_node(real))
        return f"{identifier} → {real}"
    return None


def _would_compare_with_itself(node: exp.Column, alias: str) -> bool:
    parent = node.parent
    if not isinstance(parent, exp.EQ):
        return False
    other = parent.expression if parent.this is node else parent.this
    return (
        isinstance(other, exp.Column)
        and other.name.lower() == node.name.lower()
        and other.table.lower() == alias.lower()
    )


def fix_table(tree, identifier: str, schema: SchemaInfo, allowed: set[str] | None) -> str | None:
    visible = [t for t in schema.tables if allowed is None or t in allowed]
    candidates = [t for t in visible if _norm(t) == _norm(identifier)]
    if not candidates:  # singular / plural: pet -> Pets
        candidates = [t for t in visible if _norm(t).rstrip("s") == _norm(identifier).rstrip("s")]
    if len(candidates) != 1:
        return None
    real = candidates[0]
    changed = False
    for node in tree.find_all(exp.Table):
        if node.name.lower() == identifier.lower():
            node.set("this", name_node(real))
            changed = True
    return f"{identifier} → {real}" if changed else None


def auto_fix(
    sql: str, rejection: Rejection, schema: SchemaInfo, allowed: set[str] | None = None
) -> tuple[str, str] | None:
    """(fixed SQL, what was changed) for a name rejection with exactly one plausible fix, else None."""
    if rejection.kind not in ("unknown_column", "unknown_table") or not rejection.identifier:
        return None
    try:
        tree = parse_one(sql)
    except sqlglot.errors.ParseError:
        return None
    if rejection.kind == "unknown_column":
        name = rejection.identifier.rsplit(".", 1)[-1].strip('"[]`')  # "T2.Document_Name" -> Document_Name
        change = fix_column(tree, name, schema)
    else:
        change = fix_table(tree, rejection.identifier, schema, allowed)
    if change is None:
        return None
    return tree.sql(dialect="sqlite"), change


def rejected_column(sql: str, rejection: Rejection):
    """(parsed query, qualifier, column name), both lower case, of an unknown-column rejection; else None."""
    if rejection.kind != "unknown_column" or not rejection.identifier:
        return None
    qualifier, _, name = rejection.identifier.rpartition(".")
    try:
        tree = parse_one(sql)
    except sqlglot.errors.ParseError:
        return None
    return tree, qualifier.strip('"[]`').lower(), name.strip('"[]`').lower()


_DATE_PART = re.compile(r"^(?P<stem>.*?)[_ ]?(?P<part>year|month)$", re.IGNORECASE)
_DATE_NAME = re.compile(r"date|time|_at$|_on$|day$", re.IGNORECASE)
_DATE_FORMATS = {"year": "%Y", "month": "%m"}
# strftime's 'auto' modifier (SQLite 3.38) reads a number as Unix seconds or a Julian day by its size, and leaves
# text dates as they are: without it, a column of Unix seconds read NULL in every row, and `published_year = 2021`
# counted 0, accepted at once (an outside tester, session 55; sqlite3 counts 12).
_AUTO = sqlite3.sqlite_version_info >= (3, 38, 0)


def date_part(
    sql: str, rejection: Rejection, schema: SchemaInfo, allowed: set[str] | None = None
) -> tuple[str, str] | None:
    """An unknown column that names a part of a date (`published_year`, `year`, `order_month`) is read from
    the date column of the query's tables that it names: CAST(strftime('%Y', published_at, 'auto') AS INTEGER). The
    column must share the unknown name's stem and look like a date by its name (`*_at`, `*_on`, `*day`,
    `*date*`, `*time*`); with no stem (`year`), it must be the only such column. (fixed SQL, change), or None.
    """
    found = rejected_column(sql, rejection)
    if found is None:
        return None
    tree, qualifier, name = found
    match = _DATE_PART.match(name)
    if not match:
        return None
    stem, fmt = _norm(match["stem"]), _DATE_FORMATS[match["part"].lower()]
    in_query = _tables_in(tree)
    scope = (
        [in_query[qualifier]] if qualifier in in_query else [] if qualifier else list(dict.fromkeys(in_query.values()))
    )
    tables = [real for real in (real_table(schema, t) for t in scope) if real]
    candidates = [
        (table, column)
        for table in tables
        for column in schema.tables[table]
        if _DATE_NAME.search(column) and column.lower() != name and _norm(column).startswith(stem)
    ]
    if not candidates or len({table for table, _ in candidates}) != 1 or (not stem and len(candidates) != 1):
        return None
    _, column = candidates[0]  # `published_at` and `published_day` hold the same year: the first is taken
    changed = False
    for node in list(tree.find_all(exp.Column)):
        if node.name.lower() != name or (qualifier and node.table.lower() != qualifier):
            continue
        source = exp.Column(this=name_node(column), table=node.args.get("table"))
        arguments = [exp.Literal.string(fmt), source] + ([exp.Literal.string("auto")] if _AUTO else [])
        part = exp.Cast(this=exp.Anonymous(this="strftime", expressions=arguments), to=exp.DataType.build("INTEGER"))
        if isinstance(node.parent, exp.Select) and node.arg_key == "expressions":  # a result column keeps its name
            part = exp.alias_(part, node.name)
        node.replace(part)
        changed = True
    if not changed:
        return None
    auto = ", 'auto'" if _AUTO else ""
    return tree.sql(dialect="sqlite"), f"{name} → CAST(strftime('{fmt}', {column}{auto}) AS INTEGER)"


def fix_outer_aggregates(sql: str) -> tuple[str, str] | None:
    """`WHERE T2.Weight < (SELECT AVG(T2.Weight) FROM cars_data)`: SQLite reads T2 as the outer query's row
    and fails with "misuse of aggregate". When the subquery reads the same table, the model meant that one.
    Called only after SQLite has reported the misuse."""
    try:
        tree = parse_one(sql)
    except sqlglot.errors.ParseError:
        return None
    changes = []
    for inner in tree.find_all(exp.Select):
        outer_select = inner.parent_select
        if outer_select is None:
            continue
        mine = select_sources(inner)
        outer = {}
        while outer_select is not None:
            outer = {**select_sources(outer_select), **outer}
            outer_select = outer_select.parent_select
        for aggregate in inner.find_all(exp.AggFunc):
            if aggregate.parent_select is not inner:
                continue
            for column in aggregate.find_all(exp.Column):
                qualifier = column.table.lower()
                if not qualifier or qualifier in mine or qualifier not in outer:
                    continue
                same = [label for label, table in mine.values() if table == outer[qualifier][1]]
                if len(same) == 1:
                    changes.append(
                        f"{column.sql(dialect='sqlite')} inside {aggregate.key.upper()}() → "
                        f"{same[0]}.{column.name} (the subquery's own table)"
                    )
                    column.set("table", name_node(same[0]))
    if not changes:
        return None
    return tree.sql(dialect="sqlite"), "; ".join(changes)


def select_sources(select) -> dict[str, tuple[str, str]]:
    """alias (lower) -> (alias as written, table name lower) for the tables in one SELECT's FROM and JOINs."""
    found = {}
    for table in select_tables(select):
        label = table.alias or table.name
        found[label.lower()] = (label, table.name.lower())
    return found


def fix_ambiguous(sql: str, name: str, columns: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    """`SELECT document_id ... FROM paragraphs JOIN documents ON paragraphs.document_id = documents.document_id`:
    SQLite reports "ambiguous column name". When the JOIN makes the tables agree on that column, either
    qualifier gives the same value, so the first table's is used. Called only after SQLite has reported it."""
    if "." in name:
        return None
    try:
        tree = parse_one(sql)
    except sqlglot.errors.ParseError:
        return None
    lower = name.lower()
    has_column = {table.lower(): {c.lower() for c in cols} for table, cols in columns.items()}
    changes = []
    for select in tree.find_all(exp.Select):
        sources = select_sources(select)
        holders = [alias for alias, (_, table) in sources.items() if lower in has_column.get(table, ())]
        if len(holders) < 2 or not _equated(select, lower, set(holders)):
            continue
        label = sources[holders[0]][0]
        for column in select.find_all(exp.Column):
            if column.parent_select is select and not column.table and column.name.lower() == lower:
                column.set("table", name_node(label))
                changes.append(column.name)
    if not changes:
        return None
    return tree.sql(dialect="sqlite"), f"{changes[0]} → {label}.{changes[0]} (the JOIN makes the tables agree on it)"


def _equated(select, column: str, aliases: set[str]) -> bool:
    """Whether an ON clause of this SELECT compares `column` of two of these tables for equality."""
    for join in select.args.get("joins") or []:
        condition = join.args.get("on")
        for eq in condition.find_all(exp.EQ) if condition is not None else ():
            sides = (eq.this, eq.expression)
            if (
                all(
                    isinstance(side, exp.Column) and side.name.lower() == column and side.table.lower() in aliases
                    for side in sides
                )
                and sides[0].table.lower() != sides[1].table.lower()
            ):
                return True
    return False
