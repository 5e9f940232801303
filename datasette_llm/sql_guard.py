"""Validate model-written (untrusted) SQL before it runs against SQLite.

The guard parses with sqlglot (SQLite dialect) and walks the tree; it never edits SQL with regular
expressions. Because the text that finally runs is the model's own text (plus an appended LIMIT),
the guard also checks that sqlglot and SQLite split that text the same way: a small lexer that
follows SQLite's tokenizer rules for strings, quoted names and comments must agree with sqlglot's
tokens, otherwise a quirk such as `[a]]` (an escape for sqlglot, not for SQLite) could hide code
from the tree walk.

This is one layer of several: the executor still uses a read-only connection, a time limit and
row caps. Column checks exist to give the model a useful error (with the nearest real names);
the statement, function and table checks are the security boundary.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.tokens import TokenType

from .errors import SQLRejected
from .join_links import Link, hops, path_between
from .sql.guard_worker import GUARD_SECONDS, GuardBusy, check_in_worker  # noqa: F401 - GuardBusy re-exported
from .sql.policy import (
    ALLOWED_FUNCTIONS,
    MAX_RESULT_COLUMNS,
    PRAGMA_ARGUMENT,
    PRAGMA_FUNCTIONS,
    TABLE_FUNCTIONS,
    ReadPolicy,
    pragma_name,
)
from .sql.policy import SYSTEM_TABLES as SYSTEM_TABLES

DIALECT = "sqlite"

REJECTION_KINDS = (
    "parse_error",
    "multiple_statements",
    "not_select",
    "forbidden_function",
    "forbidden_table",
    "unknown_table",
    "unknown_column",
    "empty",
)

# Functions that reach the file system, load code or expose raw database pages. Most are only
# present in the sqlite3 shell or in extensions, but a Datasette instance may load extensions.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fsdir",
        "lsdir",
        "zipfile",
        "zipfile_cds",
        "sqlar_compress",
        "sqlar_uncompress",
        "fts3_tokenizer",
        "sqlite_dbpage",
        "sqlite_dbdata",
        "sqlite_dbptr",
    }
)

SAFE_TABLE_FUNCTIONS = TABLE_FUNCTIONS

ROWID_ALIASES = frozenset({"rowid", "oid", "_rowid_"})

# Any of these anywhere in the tree means the statement is not a plain read.
_FORBIDDEN_NODE_NAMES = (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "Pragma",
    "Attach", "Detach", "Transaction", "Commit", "Rollback", "Analyze", "Use", "Set", "Copy",
    "Returning", "OnConflict", "Into", "LoadData", "Cache", "Uncache", "Refresh",
    "TruncateTable", "Describe", "Show", "Grant", "Revoke", "Kill", "Summarize", "Execute",
    "Comment", "Lock", "Export", "DDL", "DML",
)  # fmt: skip
FORBIDDEN_NODE_TYPES: tuple[type, ...] = tuple(
    getattr(exp, name) for name in _FORBIDDEN_NODE_NAMES if hasattr(exp, name)
)

_TOP_LEVEL_TYPES = (exp.Select, exp.Union, exp.Intersect, exp.Except)

# Parents under which an unmatched double-quoted name is a value, as SQLite's legacy
# "double-quoted string" rule reads it (`WHERE name = "Bob"`, common in Spider gold SQL).
_VALUE_POSITION_PARENTS = (
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.Like, exp.ILike, exp.Glob, exp.In, exp.Between, exp.Escape,
)  # fmt: skip

MAX_SUGGESTIONS = 5


# Table-valued `pragma_*` functions (each refused unless its argument is a visible table or one's index).
ALLOWED_PRAGMA_FUNCTIONS = PRAGMA_FUNCTIONS


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaInfo:
    """The tables (and views) a query may use: real name -> column names, exact case."""

    tables: dict[str, tuple[str, ...]]
    views: frozenset[str] = field(default_factory=frozenset)
    links: tuple[Link, ...] = ()  # foreign keys, for hints that say how to reach a column's table
    # Indexes and foreign-key targets the actor may see (pragma arguments, INDEXED BY); None: refuse those.
    policy: ReadPolicy | None = None

    @classmethod
    def from_connection(
        cls, conn: sqlite3.Connection, include: Iterable[str] | None = None, policy: ReadPolicy | None = None
    ) -> SchemaInfo:
        """The tables of `include` (every table when None) the read policy lets a query read; pass the policy
        when the caller already has it for those tables."""
        wanted = None if include is None else {name.lower() for name in include}
        rows = conn.execute(
            "select name, type from sqlite_master where type in ('table', 'view') order by name"
        ).fetchall()
        tables: dict[str, tuple[str, ...]] = {}
        views = set()
        if policy is None:
            policy = ReadPolicy.from_connection(
                conn, [name for name, _ in rows if wanted is None or name.lower() in wanted]
            )
        for name, kind in rows:
            if not policy.may_read(name):  # not asked for, or a view that reads a hidden table
                continue
            tables[name] = _columns_of(conn, name)
            if kind == "view":
                views.add(name)
        return cls(tables=tables, views=frozenset(views), policy=policy)

    @cached_property
    def _by_lower(self) -> dict[str, str]:
        return {name.lower(): name for name in self.tables}

    def real_name(self, name: str) -> str | None:
        """The table's real name for a case-insensitive match, or None."""
        return self._by_lower.get(name.lower())

    def columns_lower(self, real_name: str) -> frozenset[str]:
        return self._columns_lower[real_name]

    @cached_property
    def _columns_lower(self) -> dict[str, frozenset[str]]:
        return {t: frozenset(c.lower() for c in cols) for t, cols in self.tables.items()}

    def has_rowid(self, real_name: str) -> bool:
        return real_name not in self.views


def _columns_of(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    # table_xinfo also lists hidden columns (FTS tables expose the table name and `rank`).
    for function in ("pragma_table_xinfo", "pragma_table_info"):
        try:
            rows = conn.execute(f"select name from {function}(?)", (table,)).fetchall()
        except sqlite3.Error:
            continue
        return tuple(row[0] for row in rows)
    return ()


@dataclass(frozen=True)
class Rejection:
    reason: str
    kind: str
    identifier: str | None = None
    suggestions: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "reason": self.reason,
            "kind": self.kind,
            "identifier": self.identifier,
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True)
class GuardedSQL:
    sql: str
    tables: tuple[str, ...]
    limit_added: bool


class SQLRejectedError(SQLRejected):
    """Raised by validate_select; `.rejection` holds the structured reason."""

    def __init__(self, rejection: Rejection):
        super().__init__(
            rejection.reason,
            kind=rejection.kind,
            identifier=rejection.identifier,
            suggestions=list(rejection.suggestions),
        )
        self.rejection = rejection


class _Reject(Exception):
    """Internal: carries a Rejection out of deep helpers."""

    def __init__(self, rejection: Rejection):
        super().__init__(rejection.reason)
        self.rejection = rejection


def _reject(reason: str, kind: str, identifier: str | None = None, suggestions=()) -> _Reject:
    return _Reject(Rejection(reason, kind, identifier, tuple(suggestions)))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def validate_select(
    sql: str,
    schema: SchemaInfo,
    *,
    max_rows: int = 1000,
    allowed_tables: set[str] | None = None,
) -> GuardedSQL:
    """Return the SQL to run, or raise SQLRejectedError explaining what is wrong."""
    result = check_select(sql, schema, max_rows=max_rows, allowed_tables=allowed_tables)
    if isinstance(result, Rejection):
        raise SQLRejectedError(result)
    return result


def check_select(
    sql: str,
    schema: SchemaInfo,
    *,
    max_rows: int = 1000,
    allowed_tables: set[str] | None = None,
) -> GuardedSQL | Rejection:
    """Like validate_select but returns the Rejection instead of raising."""
    try:
        first = _analyse(sql, schema, allowed_tables)
        final_sql = _runnable_sql(sql, first, max_rows)
        if final_sql == first.body:
            return GuardedSQL(first.body, first.tables, limit_added=False)
        # The text changed: check what will actually run, from scratch.
        second = _analyse(final_sql, schema, allowed_tables)
        if second.string_spans or not second.has_limit:
            raise _reject("could not normalise the query safely", "parse_error")
        return GuardedSQL(second.body, second.tables, limit_added=not first.has_limit)
    except _Reject as rejected:
        return rejected.rejection
    except Exception as error:  # noqa: BLE001 - hostile input must never crash the caller
        return Rejection(f"could not parse the SQL: {_short(error)}", "parse_error")


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Analysis:
    body: str  # the statement without trailing semicolons/comments
    tables: tuple[str, ...]
    has_limit: bool
    string_spans: tuple[tuple[int, int, str], ...]  # double-quoted values to turn into 'strings'


def _analyse(sql: str, schema: SchemaInfo, allowed_tables: set[str] | None) -> _Analysis:
    if not isinstance(sql, str):
        raise _reject("SQL must be a string", "parse_error")
    lexemes = sqlite_lexemes(sql)
    _check_characters(sql, lexemes)
    dialect = sqlglot.Dialect.get_or_raise(DIALECT)
    tokens = dialect.tokenize(sql)
    if all(token.token_type == TokenType.SEMICOLON for token in tokens):
        raise _reject("the SQL is empty", "empty")
    try:
        statements = [s for s in dialect.parser().parse(tokens, sql) if _is_statement(s)]
    except Exception:
        _reject_non_select_keyword(tokens[0].text)
        raise
    if not statements:
        raise _reject("the SQL is empty", "empty")
    tree = statements[0]
    _check_top_level(tree)
    # Only now is the tree worth trusting: check SQLite would read the same text the same way.
    _check_tokenizers_agree(sql, lexemes, tokens)
    if len(statements) > 1 or _sqlite_statement_count(lexemes) > 1:
        raise _reject(
            "only one statement is allowed; remove everything after the first semicolon",
            "multiple_statements",
        )
    _check_nodes(tree)
    _check_functions(tree)
    tables = _check_tables(tree, schema, allowed_tables)
    _check_result_width(tree, schema)
    string_spans = _check_columns(sql, tree, schema, allowed_tables)
    return _Analysis(
        body=_without_trailing(sql, lexemes).strip(),
        tables=tables,
        has_limit=tree.args.get("limit") is not None,
        string_spans=string_spans,
    )


def _is_statement(node: exp.Expression | None) -> bool:
    # sqlglot turns `; -- comment` into an empty Semicolon node that only holds the comment.
    return node is not None and not isinstance(node, _EMPTY_STATEMENT_TYPES)


_EMPTY_STATEMENT_TYPES = tuple(t for t in (getattr(exp, "Semicolon", None),) if t is not None)


# Statements sqlglot may fail to parse; naming them gives the model a clearer message.
_NON_SELECT_KEYWORDS = frozenset(
    {
        "insert", "update", "delete", "replace", "merge", "upsert", "create", "drop", "alter",
        "attach", "detach", "vacuum", "pragma", "reindex", "analyze", "begin", "commit", "end",
        "rollback", "savepoint", "release", "explain",
    }
)  # fmt: skip


def _reject_non_select_keyword(first_word: str) -> None:
    if first_word.lower() in _NON_SELECT_KEYWORDS:
        raise _reject(
            f"{first_word.upper()} is not allowed: only read-only SELECT queries can run",
            "not_select",
            first_word.upper(),
        )


def _runnable_sql(sql: str, analysis: _Analysis, max_rows: int) -> str:
    """The model's text with double-quoted values as 'strings' and a LIMIT if it had none."""
    body = analysis.body
    if analysis.string_spans:
        text = sql
        for start, end, value in sorted(analysis.string_spans, reverse=True):
            text = text[:start] + _sql_string(value) + text[end + 1 :]
        body = _strip_trailing(text).strip()
    if not analysis.has_limit:
        # Trailing comments were dropped above, so nothing can swallow the LIMIT.
        body = f"{body} LIMIT {int(max_rows)}"
    return body


def _strip_trailing(text: str) -> str:
    """Drop trailing semicolons and comments, using the SQLite lexer."""
    return _without_trailing(text, sqlite_lexemes(text))


def _without_trailing(text: str, lexemes: list[Lexeme]) -> str:
    for lex in reversed(lexemes):
        if lex.kind not in ("space", "comment", "semicolon"):
            return text[: lex.end]
    return text


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:200] or type(error).__name__


def _check_characters(sql: str, lexemes: list[Lexeme]) -> None:
    """Refuse invisible and odd whitespace characters outside string literals.

    SQLite reads them as parts of names while people (and sqlglot, for some) read them as
    spaces or nothing. Inside a 'string' or a comment they are only data (the tokenizer
    agreement check still makes sure both parsers see the same string or comment).
    """
    for lex in lexemes:
        if lex.kind in ("string", "space", "comment"):
            continue
        for char in sql[lex.start : lex.end]:
            if char not in _SQLITE_SPACE and unicodedata.category(char) in _INVISIBLE_CATEGORIES:
                raise _reject(
                    f"the SQL contains an invisible or control character (U+{ord(char):04X})",
                    "parse_error",
                    identifier=f"U+{ord(char):04X}",
                )


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cs", "Cn"})


def _check_top_level(tree: exp.Expression) -> None:
    if not isinstance(tree, _TOP_LEVEL_TYPES):
        raise _reject(
            "only SELECT queries (optionally with WITH, UNION, INTERSECT, EXCEPT) are allowed",
            "not_select",
            identifier=_statement_name(tree),
        )


def _statement_name(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Command):
        return str(tree.this).upper()
    return tree.key.upper()


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODE_TYPES):
            raise _reject(
                f"{_statement_name(node)} is not allowed: only read-only SELECT queries can run",
                "not_select",
                identifier=_statement_name(node),
            )
        if isinstance(node, exp.Select) and node.args.get("into") is not None:
            raise _reject("SELECT ... INTO is not allowed", "not_select", identifier="INTO")


def function_name(node: exp.Func) -> str:
    """The function's name as SQLite will look it up, lower case."""
    if isinstance(node, exp.Anonymous):
        name = node.this
        return (name.name if isinstance(name, exp.Identifier) else str(name)).lower()
    return node.sql_name().lower()


def _check_functions(tree: exp.Expression) -> None:
    """Every function call must be on the policy's allow-list (table-valued ones are checked with tables)."""
    for node in tree.find_all(exp.Func):
        if isinstance(node.parent, exp.Table) and node.arg_key == "this":
            continue  # a table-valued function: _check_table_function
        name = function_name(node)
        if name in FORBIDDEN_FUNCTIONS or name in PRAGMA_FUNCTIONS or name.startswith("pragma_"):
            raise _reject(f"function {name}() is not allowed", "forbidden_function", name)
        if isinstance(node, exp.Anonymous):
            allowed = name in ALLOWED_FUNCTIONS
        else:  # operators (AND, =, LIKE, EXISTS ...) are Func nodes in sqlglot too
            allowed = isinstance(node, _OPERATOR_NODES) or type(node) in _allowed_function_nodes()
        if not allowed:
            raise _reject(f"function {name}() is not allowed", "forbidden_function", name)
        if name in ("printf", "format") or isinstance(node, exp.Format):
            _check_format(node, name)


# printf's width and precision make one call write any number of characters, and SQLite cannot interrupt a
# function call: `printf('%.*c', 1000000000, 'x')` ran for 17 s. The format must be a literal with small numbers.
MAX_FORMAT_WIDTH = 1000
_FORMAT_SPEC = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_format(node: exp.Func, name: str) -> None:
    first = node.expressions[0] if isinstance(node, exp.Anonymous) and node.expressions else node.this
    if not (isinstance(first, exp.Literal) and first.is_string):
        raise _reject(f"{name}() needs a 'literal' format string", "forbidden_function", name)
    for width, precision in _FORMAT_SPEC.findall(first.this):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                raise _reject(
                    f"{name}(): widths and precisions must be numbers up to {MAX_FORMAT_WIDTH}",
                    "forbidden_function",
                    name,
                )


_OPERATOR_NODES = tuple(
    getattr(exp, name) for name in ("Binary", "Unary", "Connector", "Predicate", "Exists") if hasattr(exp, name)
)
_SYNTAX_FUNCTION_NODES = ("Cast", "TryCast", "Case", "If", "Collate", "Extract", "Bracket")


def _allowed_function_nodes() -> frozenset[type]:
    """The sqlglot node types that the allowed SQLite functions (and SQL syntax such as CAST) parse into."""
    global _ALLOWED_NODES
    if _ALLOWED_NODES is None:
        dialect = sqlglot.Dialect.get_or_raise(DIALECT)
        types: set[type] = {getattr(exp, name) for name in _SYNTAX_FUNCTION_NODES if hasattr(exp, name)}
        for function in ALLOWED_FUNCTIONS:
            if not function.isidentifier():
                continue  # -> and ->> are operators
            for args in ("x", "x, y", "x, y, z", ""):
                try:
                    node = dialect.parse(f"select {function}({args})")[0].expressions[0]
                except Exception:  # noqa: BLE001 - arities sqlglot refuses
                    continue
                # sqlglot may build several nodes for one call (julianday -> TimeToUnix(TsOrDsToTimestamp)).
                types.update(
                    type(n) for n in node.walk() if isinstance(n, exp.Func) and not isinstance(n, exp.Anonymous)
                )
        for operator in ("x -> '$.a'", "x ->> '$.a'"):
            types.add(type(dialect.parse(f"select {operator}")[0].expressions[0]))
        _ALLOWED_NODES = frozenset(types)
    return _ALLOWED_NODES


_ALLOWED_NODES: frozenset[type] | None = None


def _cte_in_scope(node: exp.Expression, name: str) -> bool:
    """Whether `name` at `node` means a CTE: one defined by a WITH of a statement that encloses the node.

    SQLite lets every CTE of a WITH clause see all of that clause's names (a CTE naming itself is recursive or
    an error, never the stored table); a CTE is invisible outside the statement that defines it.
    """
    name = name.lower()
    parent = node.parent
    while parent is not None:
        with_ = parent.args.get("with") or parent.args.get("with_")
        if isinstance(with_, exp.With) and any(cte.alias_or_name.lower() == name for cte in with_.expressions):
            return True
        parent = parent.parent
    return False


def _visible_tables(schema: SchemaInfo, allowed_tables: set[str] | None) -> list[str]:
    if allowed_tables is None:
        return list(schema.tables)
    allowed = {name.lower() for name in allowed_tables}
    return [name for name in schema.tables if name.lower() in allowed]


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
    allowed = None if allowed_tables is None else {name.lower() for name in allowed_tables}
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
        if schema_name and schema_name.lower() != "main":
            dotted = schema.real_name(f"{schema_name}.{name}")
            visible = dotted is not None and (allowed is None or dotted.lower() in allowed)
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
        if real is not None and (allowed is None or real.lower() in allowed):
            if isinstance(node, exp.Table):
                _check_indexed_by(node, real, schema)
            if real not in used:
                used.append(real)
            continue
        lower = name.lower()
        if lower in SYSTEM_TABLES or lower.startswith("sqlite_"):
            raise _reject(f'reading "{name}" is not allowed', "forbidden_table", name)
        if lower.startswith("pragma_"):
            raise _reject(f"\"{name}\" is not allowed; call it as {lower}('table name')", "forbidden_function", name)
        candidates = _visible_tables(schema, allowed_tables) + sorted(_cte_names(tree))
        raise _reject(f'no such table "{name}"', "unknown_table", name, closest_names(name, candidates))
    return tuple(used)


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _check_indexed_by(table: exp.Table, real: str, schema: SchemaInfo) -> None:
    index = table.args.get("indexed")
    if not isinstance(index, exp.Table):
        return
    if schema.policy is None or index.name.lower() not in schema.policy.indexes:
        raise _reject(f'no such index "{index.name}"', "unknown_table", index.name)


def _literal_arguments(func: exp.Func) -> list[str]:
    """The arguments of a table-valued function, which must be plain 'strings' (so both walls see them)."""
    values = []
    for argument in func.expressions:
        if not (isinstance(argument, exp.Literal) and argument.is_string):
            raise _reject(
                f"the arguments of {function_name(func)}() must be 'quoted' names",
                "forbidden_function",
                function_name(func),
            )
        values.append(argument.this)
    return values


def _check_table_function(func: exp.Func, schema: SchemaInfo) -> None:
    name = function_name(func)
    if name in SAFE_TABLE_FUNCTIONS:
        return
    pragma = pragma_name(name)
    if pragma is None or pragma not in PRAGMA_ARGUMENT:
        if name in FORBIDDEN_FUNCTIONS or pragma is not None:
            raise _reject(f"table function {name}() is not allowed", "forbidden_function", name)
        raise _reject(f'no such table-valued function "{name}"', "unknown_table", name)
    arguments = _literal_arguments(func)
    if not arguments or len(arguments) > 2 or (len(arguments) == 2 and arguments[1].lower() != "main"):
        raise _reject(f"{name}() takes one 'quoted' {PRAGMA_ARGUMENT[pragma]} name", "forbidden_function", name)
    if schema.policy is None:
        allowed = (
            PRAGMA_ARGUMENT[pragma] == "table"
            and pragma != "foreign_key_list"
            and schema.real_name(arguments[0]) is not None
        )
    else:
        allowed = schema.policy.may_pragma(pragma, arguments[0])
    if not allowed:
        # The same words whether the name is hidden, missing or (foreign_key_list) references a hidden table.
        raise _reject(
            f'{name}(): "{arguments[0]}" is not a {PRAGMA_ARGUMENT[pragma]} you may describe',
            "unknown_table",
            arguments[0],
        )


def _check_result_width(tree: exp.Expression, schema: SchemaInfo) -> None:
    """At most MAX_RESULT_COLUMNS columns per SELECT (`*` counted as the columns it expands to)."""
    for select in tree.find_all(exp.Select):
        width = 0
        for projection in select.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
            ):
                sources = [select.args.get("from") or select.args.get("from_")] + list(select.args.get("joins") or [])
                for source in sources:
                    table = source.this if source is not None else None
                    real = schema.real_name(table.name) if isinstance(table, exp.Table) else None
                    width += len(schema.tables[real]) if real else MAX_RESULT_COLUMNS // 4
            else:
                width += 1
        if width > MAX_RESULT_COLUMNS:
            raise _reject(f"a SELECT may return at most {MAX_RESULT_COLUMNS} columns (this one: {width})", "not_select")


def closest_names(name: str, candidates: Iterable[str], n: int = MAX_SUGGESTIONS) -> tuple:
    """Up to n candidates closest to name, compared case-insensitively; real case returned."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.6)
    return tuple(by_lower[m] for m in matches)


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

_OPAQUE = None  # a source whose columns we cannot know (table functions, odd derived tables)


class _ColumnChecker:
    """Resolves every column reference against the sources in its scope (and outer scopes)."""

    def __init__(self, sql: str, schema: SchemaInfo, allowed_tables: set[str] | None):
        self.sql = sql
        self.schema = schema
        self.allowed = None if allowed_tables is None else {t.lower() for t in allowed_tables}
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
            return frozenset(c.name.lower() for c in alias.columns)
        expression = scope.expression
        inner = scope
        while isinstance(expression, exp.SetOperation):
            expression = expression.left
            branches = getattr(scope, "set_operation_scopes", None) or getattr(scope, "union_scopes", [])
            inner = next((s for s in branches if s.expression is expression), None)
            if inner is None:
                return _OPAQUE
            scope = inner
        if not isinstance(expression, exp.Select):
            return _OPAQUE
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
                names.add(projection.alias_or_name.lower())
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
                    self._check_column(scope, node)

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
        name = column.name.lower()
        if column.db and column.db.lower() != "main":
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
                    labels.setdefault(source.name.lower(), alias)
        homes = [
            table
            for table, columns in self.schema.tables.items()
            if table.lower() not in labels
            and (self.allowed is None or table.lower() in self.allowed)
            and name.lower() in {c.lower() for c in columns}
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
                if only is not None and alias.lower() != only.lower():
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
            if real is not None and (self.allowed is None or real.lower() in self.allowed):
                return self.schema.tables[real]
            return ()
        if isinstance(source, Scope):
            columns = self.scope_output(source)
            return tuple(sorted(columns)) if columns else ()
        return ()


def _check_columns(
    sql: str, tree: exp.Expression, schema: SchemaInfo, allowed_tables: set[str] | None
) -> tuple[tuple[int, int, str], ...]:
    checker = _ColumnChecker(sql, schema, allowed_tables)
    try:
        checker.check(tree)
    except _Reject:
        raise
    except Exception:  # noqa: BLE001
        # Column checks only make error messages better; SQLite reports what we miss.
        return ()
    return tuple(checker.string_spans)


def _quote_char(sql: str, identifier) -> str:
    """The character that opened a quoted identifier in the original text, or ""."""
    if not isinstance(identifier, exp.Identifier) or not identifier.quoted:
        return ""
    start = (getattr(identifier, "meta", None) or {}).get("start")
    return sql[start : start + 1] if isinstance(start, int) else ""


def _lookup(sources: dict, name: str):
    lower = name.lower()
    for key, value in sources.items():
        if key.lower() == lower:
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
        return {name.lower() for select in (expression.left, expression.right) for name in _result_names(select)}
    if not isinstance(expression, exp.Select):
        return set()
    return {p.alias.lower() for p in expression.expressions if isinstance(p, exp.Alias)}


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


# --------------------------------------------------------------------------------------------
# SQLite's own view of the text
# --------------------------------------------------------------------------------------------

_SQLITE_SPACE = " \t\n\f\r"
_QUOTED_KINDS = ("string", "blob", "quoted")


@dataclass(frozen=True)
class Lexeme:
    kind: str  # space, comment, string, blob, quoted, variable, semicolon, code
    start: int
    end: int  # exclusive


def _is_id_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "_$") or not char.isascii()


def _quoted_end(sql: str, start: int, quote: str) -> int:
    """End (exclusive) of a quoted run starting at `start`; a doubled quote is an escape."""
    i = start + 1
    while True:
        j = sql.find(quote, i)
        if j < 0:
            raise _reject("unterminated quote in the SQL", "parse_error", quote)
        if sql[j + 1 : j + 2] == quote:
            i = j + 2
            continue
        return j + 1


def sqlite_lexemes(sql: str) -> list[Lexeme]:
    """Split text the way SQLite's tokenizer does, as far as strings, names and comments go."""
    out: list[Lexeme] = []
    i, n = 0, len(sql)
    while i < n:
        char, following = sql[i], sql[i + 1 : i + 2]
        if char in _SQLITE_SPACE:
            j = i
            while j < n and sql[j] in _SQLITE_SPACE:
                j += 1
            kind = "space"
        elif char == "-" and following == "-":
            j = sql.find("\n", i)
            j, kind = (n if j < 0 else j), "comment"
        elif char == "/" and following == "*":
            j = sql.find("*/", i + 2)  # SQLite: an unclosed comment runs to the end
            j, kind = (n if j < 0 else j + 2), "comment"
        elif char in "'\"`":
            j, kind = _quoted_end(sql, i, char), ("string" if char == "'" else "quoted")
        elif char == "[":
            j = sql.find("]", i + 1)  # no escape inside brackets for SQLite
            if j < 0:
                raise _reject("unterminated [ in the SQL", "parse_error", "[")
            j, kind = j + 1, "quoted"
        elif char in "xX" and following == "'":
            j, kind = _quoted_end(sql, i + 1, "'"), "blob"
        elif char in "$@:#?":
            j, kind = i + 1, "variable"
        elif char == ";":
            j, kind = i + 1, "semicolon"
        elif _is_id_char(char):
            j = i + 1
            while j < n and _is_id_char(sql[j]):
                j += 1
            kind = "code"
        else:
            j, kind = i + 1, "code"
        out.append(Lexeme(kind, i, j))
        i = j
    return out


def _sqlite_statement_count(lexemes: list[Lexeme]) -> int:
    count, pending = 0, False
    for lex in lexemes:
        if lex.kind == "semicolon":
            count += pending
            pending = False
        elif lex.kind not in ("space", "comment"):
            pending = True
    return count + pending


def _check_tokenizers_agree(sql: str, lexemes: list[Lexeme], tokens) -> None:
    """sqlglot's tokens must cover exactly what SQLite sees as code, strings and names."""
    for lex in lexemes:
        if lex.kind == "variable":
            raise _reject(
                f"parameters are not supported: {sql[lex.start : lex.end]!r}",
                "parse_error",
                sql[lex.start : lex.end],
            )
    char_kind = [""] * len(sql)
    for lex in lexemes:
        for k in range(lex.start, lex.end):
            char_kind[k] = lex.kind
    quoted = {(lex.start, lex.end) for lex in lexemes if lex.kind in _QUOTED_KINDS}
    covered = [False] * len(sql)
    matched = set()
    for token in tokens:
        span = (token.start, token.end + 1)
        if span in quoted:
            matched.add(span)
        elif any(char_kind[k] not in ("code", "space", "semicolon") for k in range(*span)):
            raise _reject("the SQL's quoting or comments are ambiguous", "parse_error", token.text)
        for k in range(*span):
            covered[k] = True
    if matched != quoted:
        raise _reject("the SQL's quoting is ambiguous", "parse_error")
    for k, kind in enumerate(char_kind):
        if kind in ("code", "semicolon") and not covered[k]:
            raise _reject(f"unexpected character {sql[k]!r} in the SQL", "parse_error", sql[k])


# --------------------------------------------------------------------------------------------
# Pulling SQL out of a model's reply
# --------------------------------------------------------------------------------------------


def extract_sql(reply: str) -> str:
    """The first SELECT/WITH statement in an LLM reply, without trailing semicolons; or "".

    Looks in ```sql fences first, then bare ``` fences, then the whole reply. A ```sql fence holding no
    query at all (say, a DROP) is returned as written, so the guard can reject it with its real reason.
    """
    if not reply or not isinstance(reply, str):
        return ""
    sql_blocks, bare_blocks = _fenced_blocks(reply)
    for block, is_fenced in [(b, True) for b in sql_blocks + bare_blocks] + [(reply, False)]:
        statement = _first_select(block, is_fenced)
        if statement:
            return statement
    for block in sql_blocks:
        if block.strip():
            return block.strip()
    return ""


_SQL_FENCE_LANGUAGES = frozenset({"sql", "sqlite", "sqlite3"})


def _fenced_blocks(reply: str) -> tuple[list[str], list[str]]:
    """(```sql blocks, bare ``` blocks), in order of appearance; other languages are skipped."""
    sql_blocks: list[str] = []
    bare_blocks: list[str] = []
    parts = reply.split("```")
    # Odd-numbered parts are inside fences (an unclosed last fence still counts).
    for index in range(1, len(parts), 2):
        part = parts[index]
        first_line, _, rest = part.partition("\n")
        language = first_line.strip().lower()
        if language in _SQL_FENCE_LANGUAGES:
            sql_blocks.append(rest)
        elif language == "":
            bare_blocks.append(rest)
        elif _starts_with_keyword(language):  # ```SELECT 1``` on one line
            bare_blocks.append(part)
    return sql_blocks, bare_blocks


def _first_select(block: str, is_fenced: bool) -> str:
    statements = []
    for position in _select_candidates(block):
        statement = _statement_at(block, position)
        if not is_fenced:
            statement = _cut_trailing_prose(statement)
        statements.append(statement)
    for statement in statements:
        if _parses_as_query(statement):
            return _clean_statement(statement)
    for statement in statements:
        # Nothing parses: broken SQL is still worth handing to the validator for feedback.
        if statement[:6].lower() == "select":
            return _clean_statement(statement)
    return ""


def _clean_statement(statement: str) -> str:
    try:
        return _strip_trailing(statement.strip()).strip()
    except _Reject:
        return statement.strip().rstrip(";").strip()


def _statement_at(text: str, position: int) -> str:
    """From position up to the first semicolon SQLite would end a statement at."""
    try:
        lexemes = sqlite_lexemes(text[position:])
    except _Reject:  # an unclosed quote (prose apostrophes): take the rest
        return text[position:]
    for lex in lexemes:
        if lex.kind == "semicolon":
            return text[position : position + lex.start]
    return text[position:]


_SQL_PREFIXES = ("sql query:", "sql:", "sqlite:", "query:", "answer:")


def _select_candidates(text: str) -> list[int]:
    """Positions where a SELECT/WITH could start, in order.

    Keywords at the start of a line (after an optional "SQL:" prefix) or of a statement, and
    upper-case keywords anywhere ("The query is: SELECT ...").
    """
    candidates = set(_line_start_candidates(text))
    for keyword in ("SELECT", "WITH"):
        position = _find_word(text, keyword)
        while position is not None:
            candidates.add(position)
            position = _find_word(text, keyword, position + 1)
    candidates.update(_statement_start_candidates(text))
    return sorted(candidates)


def _statement_start_candidates(text: str) -> Iterator[int]:
    """Keywords right after a semicolon: `DROP TABLE x; select 1`."""
    try:
        lexemes = sqlite_lexemes(text)
    except _Reject:
        return
    after_semicolon = False
    for lex in lexemes:
        if lex.kind == "semicolon":
            after_semicolon = True
        elif lex.kind == "code":
            if after_semicolon and _starts_with_keyword(text[lex.start : lex.end].lower()):
                yield lex.start
            after_semicolon = False


def _line_start_candidates(text: str) -> Iterator[int]:
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        lead = len(line) - len(stripped)
        for prefix in _SQL_PREFIXES:
            if stripped.lower().startswith(prefix):
                rest = stripped[len(prefix) :]
                lead += len(prefix) + len(rest) - len(rest.lstrip())
                stripped = rest.lstrip()
                break
        if _starts_with_keyword(stripped.lower()):
            yield offset + lead
        offset += len(line)


def _starts_with_keyword(text: str) -> bool:
    for keyword in ("select", "with"):
        if text.startswith(keyword) and not _is_id_char(text[len(keyword) : len(keyword) + 1] or " "):
            return True
    return False


def _find_word(text: str, word: str, start: int = 0) -> int | None:
    while True:
        position = text.find(word, start)
        if position < 0:
            return None
        before = text[position - 1 : position] if position else " "
        after = text[position + len(word) : position + len(word) + 1] or " "
        if not _is_id_char(before) and not _is_id_char(after):
            return position
        start = position + 1


def _parses_as_query(text: str) -> bool:
    """True if sqlglot reads `text` (up to a blank line) as a query."""
    try:
        tree = sqlglot.parse_one(_cut_trailing_prose(text), read=DIALECT)
    except (SqlglotError, RecursionError):
        return False
    return isinstance(tree, _TOP_LEVEL_TYPES)


def _cut_trailing_prose(text: str) -> str:
    """Unfenced SQL ends at the first blank line (models put explanations after one)."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    for line in lines:
        if not line.strip() and kept:
            break
        kept.append(line)
    return "".join(kept)


# --------------------------------------------------------------------------------------------
# Off the event loop
# --------------------------------------------------------------------------------------------


async def check_select_off_loop(sql: str, schema: SchemaInfo, **kwargs) -> GuardedSQL | Rejection:
    """check_select in the guard's worker process (sql/guard_worker.py): GuardBusy (503) when too many
    statements are waiting; a statement that takes longer than the budget is refused."""
    try:
        return await check_in_worker(sql, schema, **kwargs)
    except TimeoutError:
        return Rejection(f"the SQL took longer than {GUARD_SECONDS:g} s to check; make it shorter", "parse_error")
