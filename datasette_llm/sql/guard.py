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

This module holds the public API and the statement checks; functions.py, tables.py and columns.py check
names, lexer.py is SQLite's side of the tokenizer comparison, results.py the types it hands back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from .columns import _check_columns
from .functions import _check_functions, _check_written_names
from .guard_worker import GUARD_SECONDS, check_in_worker
from .lexer import (
    _SQLITE_SPACE,
    Lexeme,
    _check_tokenizers_agree,
    _sqlite_statement_count,
    _strip_trailing,
    _without_trailing,
    sqlite_lexemes,
)
from .parsing import too_costly
from .policy import MAX_RESULT_COLUMNS
from .result_width import widest_select
from .results import DIALECT, GuardedSQL, Rejection, SchemaInfo, SQLRejectedError, _Reject, _reject
from .tables import _check_tables

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
    costly = too_costly(tokens)  # before sqlglot's parser, whose time doubles with each JOIN without ON
    if costly:
        raise _reject(costly, "parse_error")
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
    _check_written_names(tokens)
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


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")


def _short(error: Exception) -> str:
    """An error's text for a person and for the model: one line, at most 200 characters, without the terminal
    codes sqlglot underlines the unexpected token with (they reached the JSON `error`; an outside tester)."""
    text = " ".join(_TERMINAL_CODES.sub("", str(error)).split())
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


def _check_result_width(tree: exp.Expression, schema: SchemaInfo) -> None:
    """At most MAX_RESULT_COLUMNS columns per SELECT (sql/result_width.py: `*` counted as the columns it expands to).
    A statement the count cannot follow is left to the second wall, which reads the width SQLite compiled."""
    try:
        width = widest_select(tree, schema)
    except Exception:  # noqa: BLE001 (sqlglot's scopes of a statement SQLite may reject anyway)
        return
    if width > MAX_RESULT_COLUMNS:
        raise _reject(f"a SELECT may return at most {MAX_RESULT_COLUMNS} columns (this one: {width})", "not_select")


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
