"""Which tables a statement reads: every name, resolved by scope (a CTE hides a table only inside the
statement whose WITH defines it), must be a table or view the actor may see; so must a string in table
position (`x IN 'name'`) and an INDEXED BY index."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from .functions import _check_table_function
from .names import fold
from .policy import sqlite_internal
from .results import DIALECT, SchemaInfo, _reject, closest_names


def _cte_in_scope(node: exp.Expression, name: str) -> bool:
    """Whether `name` at `node` means a CTE: one defined by a WITH of a statement that encloses the node.

    SQLite lets every CTE of a WITH clause see all of that clause's names (a CTE naming itself is recursive or
    an error, never the stored table); a CTE is invisible outside the statement that defines it.
    """
    return defining_cte(node, name) is not None


def defining_cte(node: exp.Expression, name: str) -> exp.CTE | None:
    """The CTE `name` at `node` means (see _cte_in_scope), or None."""
    name = fold(name)
    parent = node.parent
    while parent is not None:
        with_ = parent.args.get("with") or parent.args.get("with_")
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                if fold(cte.alias_or_name) == name:
                    return cte
        parent = parent.parent
    return None


def _visible_tables(schema: SchemaInfo, allowed_tables: set[str] | None) -> list[str]:
    if allowed_tables is None:
        return list(schema.tables)
    allowed = {fold(name) for name in allowed_tables}
    return [name for name in schema.tables if fold(name) in allowed]


def _in_table_references(tree: exp.Expression) -> Iterator[tuple[exp.Expression, str, str]]:
    """`x IN name`, `x IN 'name'`, `x IN main.name`: SQLite reads a table there (node, schema, name)."""
    for node in tree.find_all(exp.In):
        field = node.args.get("field")
        if field is None:
            continue
        if isinstance(field, exp.Literal) and field.is_string:
            yield node, "", field.this
        elif isinstance(field, exp.Column) and not isinstance(field.this, exp.Star):
            yield node, field.table, field.name
        elif isinstance(field, exp.Table):
            yield node, field.db, field.name
        else:
            raise _reject("IN must be followed by a parenthesised list or subquery", "parse_error")


def _check_tables(tree: exp.Expression, schema: SchemaInfo, allowed_tables: set[str] | None) -> tuple[str, ...]:
    allowed = None if allowed_tables is None else {fold(name) for name in allowed_tables}
    used: list[str] = []
    references = [(table, table.db, table.name) for table in tree.find_all(exp.Table)]
    references += list(_in_table_references(tree))
    for node, schema_name, name in references:
        if isinstance(node, exp.Table):
            if node.arg_key == "indexed":
                continue  # INDEXED BY names an index: checked with its table below
            if isinstance(node.this, exp.Func):
                _check_table_function(node.this, schema)
                continue
            if node.args.get("catalog") is not None:
                raise _reject(f'"{node.sql(DIALECT)}" is not a table name', "forbidden_table", name)
        if schema_name and fold(schema_name) != "main":
            dotted = schema.real_name(f"{schema_name}.{name}")
            visible = dotted is not None and (allowed is None or fold(dotted) in allowed)
            raise _reject(
                f'only the main database can be queried, not "{schema_name}"'
                + (f'; to use the table "{dotted}", put its name in double quotes' if visible else ""),
                "forbidden_table",
                f"{schema_name}.{name}",
                (f'"{dotted}"',) if visible else (),
            )
        if not schema_name and _cte_in_scope(node, name):
            continue
        real = schema.real_name(name)
        if real is not None and (allowed is None or fold(real) in allowed):
            if isinstance(node, exp.Table):
                _check_indexed_by(node, real, schema)
            if real not in used:
                used.append(real)
            continue
        lower = fold(name)
        if sqlite_internal(name):
            raise _reject(f'reading "{name}" is not allowed', "forbidden_table", name)
        if lower.startswith("pragma_"):
            raise _reject(f"\"{name}\" is not allowed; call it as {lower}('table name')", "forbidden_function", name)
        candidates = _visible_tables(schema, allowed_tables) + sorted(_cte_names(tree))
        raise _reject(f'no such table "{name}"', "unknown_table", name, closest_names(name, candidates))
    return tuple(used)


def _cte_names(tree: exp.Expression) -> set[str]:
    return {fold(cte.alias_or_name) for cte in tree.find_all(exp.CTE)}


def _check_indexed_by(table: exp.Table, real: str, schema: SchemaInfo) -> None:
    index = table.args.get("indexed")
    if not isinstance(index, exp.Table):
        return
    if schema.policy is None or fold(index.name) not in schema.policy.indexes:
        raise _reject(f'no such index "{index.name}"', "unknown_table", index.name)
