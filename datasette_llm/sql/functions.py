"""Which functions a statement may call: the read policy's allow-list, `printf` formats with small widths,
and table-valued functions (pragma ones only with a 'literal' name the policy lets the actor describe)."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from .policy import (
    ALLOWED_FUNCTIONS,
    PRAGMA_ARGUMENT,
    PRAGMA_FUNCTIONS,
    TABLE_FUNCTIONS,
    pragma_name,
    sqlite_functions,
)
from .results import DIALECT, SchemaInfo, _reject

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


# Table-valued `pragma_*` functions (each refused unless its argument is a visible table or one's index).
ALLOWED_PRAGMA_FUNCTIONS = PRAGMA_FUNCTIONS


def function_name(node: exp.Func) -> str:
    """The function's name as SQLite will look it up, lower case."""
    if isinstance(node, exp.Anonymous):
        name = node.this
        return (name.name if isinstance(name, exp.Identifier) else str(name)).lower()
    return node.sql_name().lower()


SQLITE_COLLATIONS = frozenset({"binary", "nocase", "rtrim"})  # SQLite's built-in collating sequences
_NAMES = (TokenType.VAR, TokenType.IDENTIFIER)  # a function's name, bare or "quoted" (SQLite calls either)


def _check_written_names(tokens) -> None:
    """Calls the tree cannot tell apart, read from the tokens: `string_agg(...)` parses as group_concat and `x
    REGEXP y` as an operator, yet SQLite calls the function of the written name, which this SQLite may not define
    (then only another plugin's function of that name would run: an outside tester's REGEXP, session 26)."""
    callable_here = sqlite_functions()
    for at, token in enumerate(tokens):
        if token.token_type == TokenType.RLIKE and "regexp" not in callable_here:
            raise _reject("function regexp() is not allowed", "forbidden_function", "regexp")
        if token.token_type == TokenType.COLLATE:
            # A collation runs code for every comparison, and SQLite's authorizer never sees one: only SQLite's
            # own (another plugin's Python collation ran 61 s past the time limit; a second outside tester, s26).
            name = tokens[at + 1].text.lower() if at + 1 < len(tokens) else ""
            if name not in SQLITE_COLLATIONS:
                raise _reject(
                    f"collation {name or '(none)'} is not allowed; use BINARY, NOCASE or RTRIM",
                    "forbidden_function",
                    name,
                )
        if token.token_type in _NAMES and at + 1 < len(tokens) and tokens[at + 1].token_type == TokenType.L_PAREN:
            name = token.text.lower()
            if name in ALLOWED_FUNCTIONS and name not in callable_here:
                raise _reject(f"function {name}() is not allowed", "forbidden_function", name)


def _check_functions(tree: exp.Expression) -> None:
    """Every function call must be on the policy's allow-list (table-valued ones are checked with tables)."""
    for node in tree.find_all(exp.Func):
        if isinstance(node.parent, exp.Table) and node.arg_key == "this":
            continue  # a table-valued function: _check_table_function
        name = function_name(node)
        if name in FORBIDDEN_FUNCTIONS or name in PRAGMA_FUNCTIONS or name.startswith("pragma_"):
            raise _reject(f"function {name}() is not allowed", "forbidden_function", name)
        if isinstance(node, exp.Anonymous):
            allowed = name in sqlite_functions()
        else:  # operators (AND, =, LIKE, EXISTS ...) are Func nodes in sqlglot too
            allowed = isinstance(node, _OPERATOR_NODES) or type(node) in _allowed_function_nodes()
        if not allowed:
            raise _reject(f"function {name}() is not allowed", "forbidden_function", name)
        if name in ("printf", "format") or isinstance(node, exp.Format):
            _check_format(node, name)
        if name in TRIMS or isinstance(node, exp.Trim):
            _check_trim(node, name)
        if isinstance(node, (exp.StrPosition, exp.Replace)) or name in NEEDLES:
            _check_needle(node, name, tree)


# printf's width and precision make one call write any number of characters, and SQLite cannot interrupt a
# function call: `printf('%.*c', 1000000000, 'x')` ran for 17 s. The format must be a literal with small numbers.
MAX_FORMAT_WIDTH = 1000
_FORMAT_SPEC = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d+))?")


def _argument(node: exp.Func, key: str, position: int) -> exp.Expression | None:
    """An argument of a call: at `position` as written when sqlglot left the call as written (Anonymous), else
    the parsed call's argument `key`."""
    if isinstance(node, exp.Anonymous):
        return node.expressions[position] if len(node.expressions) > position else None
    return node.args.get(key)


def _check_format(node: exp.Func, name: str) -> None:
    first = _argument(node, "this", 0)
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


# trim(X, Y) tests each character of X's ends against each of Y's, in one call SQLite cannot interrupt: 100,000
# characters and a set of 20,000 took 3.8 s here, and the length limit allows 1,000,000 and 500,000 (an outside
# tester's generated SQL, session 35). The characters to remove must be a short literal.
TRIMS = ("trim", "ltrim", "rtrim")
MAX_TRIM_CHARACTERS = 100


def _check_trim(node: exp.Func, name: str) -> None:
    characters = _argument(node, "expression", 1)
    if isinstance(node, exp.Trim):
        name = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(str(node.args.get("position") or "").upper(), "trim")
    if characters is None:
        return
    if not (
        isinstance(characters, exp.Literal) and characters.is_string and len(characters.this) <= MAX_TRIM_CHARACTERS
    ):
        raise _reject(
            f"{name}(): the characters to remove must be a 'literal' of at most {MAX_TRIM_CHARACTERS} characters",
            "forbidden_function",
            name,
        )


# instr(X, Y) and replace(X, Y, Z) compare Y at each position of X, in one call SQLite cannot interrupt: a
# computed Y of 500,000 characters in an X of 1,000,000 (the length limit) took 3.4-3.6 s here, 5 s through the
# query API under load (an outside tester's generated SQL, session 35). Y must be short by construction: literals
# and the columns of stored tables, joined with || or passed through functions that do not lengthen text. A
# column counts only in a statement with no CTE, derived table or table-valued function, whose columns may hold
# anything computed (`WITH r(s) AS (... s || s ...)` doubles a string without any function).
NEEDLES = ("instr", "replace")  # the text to find is the second argument of each
_SHORT_NEEDLE_NODES = (
    exp.Literal,
    exp.Column,
    exp.Identifier,
    exp.DPipe,
    exp.Paren,
    exp.Lower,
    exp.Upper,
    exp.Trim,
    exp.Chr,
    exp.Coalesce,
    exp.Cast,
    exp.DataType,
    exp.Null,
    exp.Neg,
)


def _check_needle(node: exp.Func, name: str, tree: exp.Expression) -> None:
    needle = _argument(node, "substr" if isinstance(node, exp.StrPosition) else "expression", 1)
    if isinstance(node, (exp.StrPosition, exp.Replace)):
        name = "instr" if isinstance(node, exp.StrPosition) else "replace"
    if needle is None:
        return
    parts = list(needle.walk())
    short = all(isinstance(part, _SHORT_NEEDLE_NODES) for part in parts)
    if short and any(isinstance(part, exp.Column) for part in parts) and _computes_sources(tree):
        short = False
    if not short:
        raise _reject(
            f"{name}(): the text to find must be 'literals' or columns of stored tables (joined with || if need be)",
            "forbidden_function",
            name,
        )


def _computes_sources(tree: exp.Expression) -> bool:
    """Whether the statement reads rows it computes: a CTE, a derived table or a table-valued function."""
    if tree.find(exp.CTE) is not None:
        return True
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            return True
    return any(isinstance(sub.parent, (exp.From, exp.Join)) for sub in tree.find_all(exp.Subquery))


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
        for function in sqlite_functions():
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
