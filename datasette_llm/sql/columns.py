"""Column references resolved against the sources in scope, for errors the model can act on.

Not the security boundary (the statement, function and table checks are): where the checker cannot follow a
query, SQLite reports what it missed. It also finds the double-quoted names SQLite reads as values
(`WHERE name = "Bob"`), which the guard rewrites as 'strings'.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from .join_links import hops, path_between
from .names import fold
from .results import DIALECT, MAX_SUGGESTIONS, SchemaInfo, _Reject, _reject, closest_names
from .tables import defining_cte

ROWID_ALIASES = frozenset({"rowid", "oid", "_rowid_"})


# Parents under which an unmatched double-quoted name is a value, as SQLite's legacy
# "double-quoted string" rule reads it (`WHERE name = "Bob"`, common in Spider gold SQL).
_VALUE_POSITION_PARENTS = (
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.Like, exp.ILike, exp.Glob, exp.In, exp.Between, exp.Escape,
)  # fmt: skip

_OPAQUE = None  # a source whose columns we cannot know (table functions, odd derived tables)


def first_select(scope: Scope) -> Scope | None:
    """The scope of the SELECT whose columns a query returns: itself, or a compound's first (leftmost) branch; None
    when that is no SELECT."""
    expression = scope.expression
    while isinstance(expression, exp.SetOperation):
        expression = expression.left
        branches = getattr(scope, "set_operation_scopes", None) or getattr(scope, "union_scopes", [])
        scope = next((s for s in branches if s.expression is expression), None)
        if scope is None:
            return None
    return scope if isinstance(expression, exp.Select) else None


class _ColumnChecker:
    """Resolves every column reference against the sources in its scope (and outer scopes)."""

    def __init__(self, sql: str, schema: SchemaInfo, allowed_tables: set[str] | None):
        self.sql = sql
        self.schema = schema
        self.allowed = None if allowed_tables is None else {fold(t) for t in allowed_tables}
        self._scope_columns: dict[int, frozenset[str] | None] = {}
        self.string_spans: list[tuple[int, int, str]] = []

    # -- what each source provides ------------------------------------------------------

    def source_columns(self, source) -> frozenset[str] | None:
        if isinstance(source, Scope):
            return self.scope_output(source)
        if isinstance(source, exp.Table):
            if isinstance(source.this, exp.Func):
                return _OPAQUE
            real = self.schema.real_name(source.name)
            if real is None:
                return _OPAQUE  # e.g. allowed pragma eponymous table; tables were checked
            columns = self.schema.columns_lower(real)
            if self.schema.has_rowid(real):
                columns = columns | ROWID_ALIASES
            return columns
        return _OPAQUE

    def scope_output(self, scope: Scope) -> frozenset[str] | None:
        key = id(scope)
        if key in self._scope_columns:
            return self._scope_columns[key]
        self._scope_columns[key] = _OPAQUE  # guards recursive CTEs
        result = self._compute_scope_output(scope)
        self._scope_columns[key] = result
        return result

    def _compute_scope_output(self, scope: Scope) -> frozenset[str] | None:
        alias = _defining_alias(scope.expression)
        if alias is not None and alias.columns:
            return frozenset(fold(c.name) for c in alias.columns)
        inner = first_select(scope)
        if inner is None:
            return _OPAQUE
        expression = inner.expression
        names: set[str] = set()
        for projection in expression.expressions:
            if isinstance(projection, exp.Star):
                for _, source in inner.selected_sources.values():
                    columns = self.source_columns(source)
                    if columns is _OPAQUE:
                        return _OPAQUE
                    names |= columns - ROWID_ALIASES  # `*` never expands to rowid
                continue
            if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                entry = _lookup(inner.selected_sources, projection.table)
                columns = self.source_columns(entry[1]) if entry else _OPAQUE
                if columns is _OPAQUE:
                    return _OPAQUE
                names |= columns - ROWID_ALIASES
                continue
            if projection.alias_or_name:
                names.add(fold(projection.alias_or_name))
            # Unaliased expressions are named by their text (`count(*)`); compare loosely.
            names.add(projection.sql(DIALECT).lower())
        return frozenset(names)

    # -- checking references --------------------------------------------------------------

    def check(self, tree: exp.Expression) -> None:
        for scope in traverse_scope(tree):
            # scope.walk() stays inside this scope; scope.columns would also hand us the
            # unqualified columns of correlated subqueries, which belong to the child scope.
            for node in scope.walk():
                if type(node) is exp.Column:
                    if _names_a_table(node):
                        self._check_one_column_table(node)
                    else:
                        self._check_column(scope, node)

    def _check_one_column_table(self, column: exp.Column) -> None:
        """A table after IN must have one column, as SQLite compiles it (a CTE's width is left to SQLite)."""
        if column.table and fold(column.table) != "main" or defining_cte(column, column.name) is not None:
            return
        real = self.schema.real_name(column.name)
        if real is not None and len(self.schema.tables[real]) != 1:
            raise _reject(
                f'"{column.sql(DIALECT)}" after IN is read as a table of one column, and "{real}" has '
                f"{len(self.schema.tables[real])}: write IN (SELECT one_column FROM {real})",
                "parse_error",
                column.name,
            )

    def _scope_chain(self, scope: Scope) -> Iterator[Scope]:
        """The scope, then the outer scopes whose FROM clauses its columns may reference."""
        while scope is not None:
            yield scope
            parent = scope.parent
            # A CTE or a subquery in FROM cannot see the FROM clause of the query that
            # contains it (SQLite has no LATERAL); a subquery in WHERE or SELECT can.
            if parent is not None and (scope.is_cte or scope.is_derived_table):
                parent = parent.parent
            scope = parent

    def _check_qualified_star(self, scope: Scope, column: exp.Column) -> None:
        for outer in self._scope_chain(scope):
            if _lookup(outer.selected_sources, column.table):
                return
        self._unknown_qualifier(scope, column)

    def _check_column(self, scope: Scope, column: exp.Column) -> None:
        if isinstance(column.this, exp.Star):
            self._check_qualified_star(scope, column)
            return
        name = fold(column.name)
        if column.db and fold(column.db) != "main":
            raise _reject(
                f'only the main database can be queried, not "{column.db}"',
                "forbidden_table",
                column.sql(DIALECT),
            )
        if column.table:
            self._check_qualified(scope, column, name)
        else:
            self._check_unqualified(scope, column, name)

    def _check_qualified(self, scope: Scope, column: exp.Column, name: str) -> None:
        for outer in self._scope_chain(scope):
            entry = _lookup(outer.selected_sources, column.table)
            if entry is None:
                continue
            columns = self.source_columns(entry[1])
            if columns is _OPAQUE or name in columns:
                return
            table_label = _source_label(entry[1], column.table)
            raise _reject(
                f'no such column "{column.name}" in table "{table_label}"' + self._elsewhere(column.name, scope),
                "unknown_column",
                f"{column.table}.{column.name}",
                self._suggest(column.name, scope, only=column.table),
            )
        if _has_opaque_unnamed_source(scope):
            return
        self._unknown_qualifier(scope, column)

    def _unknown_qualifier(self, scope: Scope, column: exp.Column) -> None:
        in_scope = [n for s in self._scope_chain(scope) for n in s.selected_sources if n]
        raise _reject(
            f'no such column "{column.table}.{column.name}": "{column.table}" is not a table or '
            f"alias in the FROM clause (available: {', '.join(in_scope) or 'none'})",
            "unknown_column",
            f"{column.table}.{column.name}",
            closest_names(column.table, in_scope) or self._suggest(column.name, scope),
        )

    def _check_unqualified(self, scope: Scope, column: exp.Column, name: str) -> None:
        for outer in self._scope_chain(scope):
            for _, source in outer.selected_sources.values():
                columns = self.source_columns(source)
                if columns is _OPAQUE or name in columns:
                    return
            if outer is scope and name in _output_names(outer.expression):
                return
        if self._is_double_quoted_value(column):
            meta = column.this.meta
            self.string_spans.append((meta["start"], meta["end"], column.name))
            return
        where = _scope_tables_label(scope)
        hint = ""
        if _quote_char(self.sql, column.this) == '"':
            hint = "; write text values in single quotes ('like this')"
        raise _reject(
            f'no such column "{column.name}"'
            + (f" in {where}" if where else "")
            + hint
            + self._elsewhere(column.name, scope),
            "unknown_column",
            column.name,
            self._suggest(column.name, scope),
        )

    def _is_double_quoted_value(self, column: exp.Column) -> bool:
        if _quote_char(self.sql, column.this) != '"':
            return False
        return isinstance(column.parent, _VALUE_POSITION_PARENTS)

    def _elsewhere(self, name: str, scope: Scope) -> str:
        """'; "x" is a column of t1, t2' naming the tables outside the query that hold the column: the
        model picked the wrong table, and a join (or the other table) is what it needs. With foreign keys,
        the JOIN that reaches the first of them, written with the query's own aliases."""
        labels = {}  # table (lower) -> how the query names it
        for outer in self._scope_chain(scope):
            for alias, (_, source) in outer.selected_sources.items():
                if isinstance(source, exp.Table):
                    labels.setdefault(fold(source.name), alias)
        homes = [
            table
            for table, columns in self.schema.tables.items()
            if fold(table) not in labels
            and (self.allowed is None or fold(table) in self.allowed)
            and fold(name) in {fold(c) for c in columns}
        ]
        if not homes:
            return ""
        listed = ", ".join(homes[:MAX_SUGGESTIONS]) + (" …" if len(homes) > MAX_SUGGESTIONS else "")
        route = path_between(homes[0], set(labels), self.schema.links) if labels else []
        if not route:
            return f'; "{name}" is a column of {listed} (join it through the foreign keys)'
        joins = [
            f"JOIN {new} ON {label}.{column} = {new}.{new_column}"
            for new, label, column, new_column in hops(route, labels)
        ]
        # Measured on Spider (48 questions that saw this hint, same run otherwise): this imperative form 24
        # correct; "(to use it: JOIN ...)" 17; "(join t through a = b, ...)" 17.
        return f'; "{name}" is a column of {listed}: add {" ".join(joins)}'

    def _suggest(self, name: str, scope: Scope, only: str | None = None) -> tuple[str, ...]:
        plain: dict[str, list[str]] = {}  # column -> qualified forms
        for outer in self._scope_chain(scope):
            for alias, (_, source) in outer.selected_sources.items():
                if only is not None and fold(alias) != fold(only):
                    continue
                for real_column in self._real_columns(source):
                    plain.setdefault(real_column, []).append(f"{alias}.{real_column}")
        matches = closest_names(name, plain)
        suggestions = list(matches)
        for match in matches:
            suggestions.extend(plain[match])
        unique = list(dict.fromkeys(suggestions))
        return tuple(unique[:MAX_SUGGESTIONS])

    def _real_columns(self, source) -> tuple[str, ...]:
        if isinstance(source, exp.Table) and not isinstance(source.this, exp.Func):
            real = self.schema.real_name(source.name)
            if real is not None and (self.allowed is None or fold(real) in self.allowed):
                return self.schema.tables[real]
            return ()
        if isinstance(source, Scope):
            columns = self.scope_output(source)
            return tuple(sorted(columns)) if columns else ()
        return ()


def _names_a_table(column: exp.Column) -> bool:
    """`x IN name`: after IN, SQLite reads a name as a table (or a CTE), never a column; sqlglot parses it as a
    column. The table is checked as every other (sql/tables.py); it was refused here as a missing column (an outside
    tester, session 50)."""
    return column.arg_key == "field" and isinstance(column.parent, exp.In)


def _check_columns(
    sql: str, tree: exp.Expression, schema: SchemaInfo, allowed_tables: set[str] | None
) -> tuple[tuple[int, int, str], ...]:
    checker = _ColumnChecker(sql, schema, allowed_tables)
    try:
        checker.check(_ctes_spelt_as_defined(tree))
    except _Reject:
        raise
    except Exception:  # noqa: BLE001
        # Column checks only make error messages better; SQLite reports what we miss.
        return ()
    return tuple(checker.string_spans)


def _ctes_spelt_as_defined(tree: exp.Expression) -> exp.Expression:
    """`tree`, or a copy in which each table name that means a CTE is spelt as its CTE is: SQLite compares names in
    any ASCII case, sqlglot's scopes exactly, so `WITH TAGS AS (...) SELECT n FROM tags` read `tags` as the stored
    table and was refused for its columns (an outside tester, session 50)."""
    if not any(True for _ in tree.find_all(exp.CTE)):
        return tree
    copy = tree.copy()
    for table in list(copy.find_all(exp.Table)):
        if table.db or not isinstance(table.this, exp.Identifier):
            continue
        cte = defining_cte(table, table.name)
        if cte is not None and cte.alias_or_name != table.name:
            table.set("this", exp.to_identifier(cte.alias_or_name, quoted=table.this.quoted))
    return copy


def _quote_char(sql: str, identifier) -> str:
    """The character that opened a quoted identifier in the original text, or ""."""
    if not isinstance(identifier, exp.Identifier) or not identifier.quoted:
        return ""
    start = (getattr(identifier, "meta", None) or {}).get("start")
    return sql[start : start + 1] if isinstance(start, int) else ""


def _lookup(sources: dict, name: str):
    lower = fold(name)
    for key, value in sources.items():
        if fold(key) == lower:
            return value
    return None


def _defining_alias(expression: exp.Expression) -> exp.TableAlias | None:
    # sqlglot resolves a recursive CTE's self-reference to its first branch, so climb out of
    # compound selects to the CTE that names the columns.
    while isinstance(expression.parent, exp.SetOperation):
        expression = expression.parent
    parent = expression.parent
    if isinstance(parent, (exp.CTE, exp.Subquery)):
        alias = parent.args.get("alias")
        if isinstance(alias, exp.TableAlias):
            return alias
    return None


def _output_names(expression: exp.Expression) -> set[str]:
    """Names a column reference may use besides source columns.

    SQLite lets WHERE, GROUP BY, HAVING and ORDER BY use the select list's aliases, and a
    compound's ORDER BY use the result columns of any of its SELECTs.
    """
    if isinstance(expression, exp.SetOperation):
        return {fold(name) for select in (expression.left, expression.right) for name in _result_names(select)}
    if not isinstance(expression, exp.Select):
        return set()
    return {fold(p.alias) for p in expression.expressions if isinstance(p, exp.Alias)}


def _result_names(expression: exp.Expression) -> list[str]:
    if isinstance(expression, exp.SetOperation):
        return _result_names(expression.left) + _result_names(expression.right)
    return list(expression.named_selects) if isinstance(expression, exp.Select) else []


def _has_opaque_unnamed_source(scope: Scope) -> bool:
    for _, source in scope.selected_sources.values():
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Func):
            return True
    return False


def _source_label(source, alias: str) -> str:
    if isinstance(source, exp.Table) and source.name:
        return source.name
    return alias


def _scope_tables_label(scope: Scope) -> str:
    names = [_source_label(source, alias) for alias, (_, source) in scope.selected_sources.items()]
    if len(names) == 1:
        return f'table "{names[0]}"'
    if names:
        return "tables " + ", ".join(f'"{n}"' for n in names)
    return ""
