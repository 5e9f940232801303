"""The one read policy for SQL the plugin runs on behalf of an actor (model-written or sent to the query API).

Both walls read this module and nothing else decides what may be touched:

- the guard (`guard.py`) refuses a statement before it runs, with a message the model can act on;
- the SQLite authorizer (`authorizer.py`) refuses it again while SQLite compiles it, seeing the tables and
  functions SQLite itself resolved, so a statement the guard misread still cannot read a hidden table.

Everything here is an allow-list: a function, table-valued function or pragma that is not listed is refused.
`ReadPolicy` is built from `sqlite_master` for one actor's visible tables: FTS shadow tables are the real
shadow tables of the visible FTS virtual tables (never guessed from a name prefix), and indexes are the indexes
of visible tables.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
import threading
import time
from dataclasses import dataclass

from .names import fold, quote_identifier

# Scalar, aggregate and window functions a query may call: SQLite's built-ins that neither write, nor reach
# files, nor expose internals, plus this plugin's own (`llm_cosine`, `rank_bm25`). Anything else, including a
# function another plugin registers, is refused by both walls.
ALLOWED_FUNCTIONS = frozenset({
    # core scalar
    "abs", "changes", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull", "iif",
    "instr", "last_insert_rowid", "length", "like", "likelihood", "likely", "lower", "ltrim", "max", "min",
    "nullif", "octet_length", "printf", "quote", "random", "randomblob", "replace", "round", "rtrim", "sign",
    "soundex", "sqlite_source_id", "sqlite_version", "substr", "substring", "total_changes", "trim", "typeof",
    "unhex", "unicode", "unlikely", "upper", "zeroblob", "subtype", "regexp",
    # dates
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff", "current_date",
    "current_time", "current_timestamp",
    # math
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh", "degrees",
    "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians", "sin", "sinh", "sqrt",
    "tan", "tanh", "trunc",
    # aggregates
    "avg", "count", "group_concat", "string_agg", "sum", "total", "median",
    # window
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
    "last_value", "nth_value",
    # JSON
    "json", "json_array", "json_array_length", "json_error_position", "json_extract", "json_insert",
    "json_object", "json_patch", "json_pretty", "json_quote", "json_remove", "json_replace", "json_set",
    "json_type", "json_valid", "json_group_array", "json_group_object", "->", "->>",
    # full-text search
    "match", "bm25", "highlight", "snippet", "matchinfo", "offsets",
    # this plugin
    "llm_cosine", "rank_bm25",
})  # fmt: skip

# Registered by this plugin (embeddings.register_sql_functions).
PLUGIN_FUNCTIONS = frozenset({"llm_cosine", "rank_bm25"})


@functools.cache
def _sqlite_entries() -> frozenset[tuple]:
    """The functions SQLite itself defines in a connection nobody has added any to: (name, builtin, type, narg)."""
    return _function_entries(sqlite3.connect(":memory:"))


def _function_entries(conn: sqlite3.Connection) -> frozenset[tuple]:
    try:
        rows = conn.execute("select name, builtin, type, narg from pragma_function_list").fetchall()
    except sqlite3.Error:  # an SQLite without the pragma: only the plugin's own names can be told apart
        return frozenset()
    return frozenset((fold(name), builtin, kind, narg) for name, builtin, kind, narg in rows)


@functools.cache
def sqlite_functions() -> frozenset[str]:
    """ALLOWED_FUNCTIONS that this SQLite library defines itself, plus the plugin's own. The list names functions
    of newer SQLite versions too (concat, median, unhex ...) and `regexp`, which SQLite leaves to applications: a
    plugin that defined one of those names had its function called by model-written SQL (an outside tester,
    session 26: a Python `regexp` held a request 64 s, a `median` read a file)."""
    entries = _sqlite_entries()
    if not entries:
        return ALLOWED_FUNCTIONS
    own = {name for name, *_ in entries}
    return frozenset(name for name in ALLOWED_FUNCTIONS if name in own) | PLUGIN_FUNCTIONS


def connection_functions(conn: sqlite3.Connection) -> frozenset[str]:
    """sqlite_functions() less every name that another extension or plugin has defined on this connection too
    (over or beside SQLite's own: a Python `lower` would run for `lower(x)`)."""
    added = _function_entries(conn) - _sqlite_entries()
    foreign = {name for name, *_ in added} - PLUGIN_FUNCTIONS
    return sqlite_functions() - foreign


# Eponymous table-valued functions (they read only their arguments).
TABLE_FUNCTIONS = frozenset({"json_each", "json_tree"})

# Read-only pragmas callable as `pragma_<name>(arg)`, with what their argument names. Each result describes
# only that object: so the argument must be a visible table, or an index of one. `foreign_key_list` also names
# the tables a key references, so it is allowed only for tables whose every reference is visible.
PRAGMA_ARGUMENT = {
    "table_info": "table",
    "table_xinfo": "table",
    "index_list": "table",
    "foreign_key_list": "table",
    "index_info": "index",
    "index_xinfo": "index",
}
PRAGMA_FUNCTIONS = frozenset(f"pragma_{name}" for name in PRAGMA_ARGUMENT)
# Pragmas SQLite runs on its own while compiling FTS queries (no argument, nothing to reveal).
INTERNAL_PRAGMAS = frozenset({"data_version"})

SYSTEM_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})


def sqlite_internal(table: str) -> bool:
    """One of SQLite's own tables (the prefix is reserved: no user table has it). They describe other tables:
    `sqlite_sequence` names every AUTOINCREMENT table, hidden ones too, with its highest id; `sqlite_stat1`
    names tables and indexes with row counts. So none of them is ever listed, described or read."""
    return fold(table).startswith("sqlite_")


# Shadow tables each FTS module creates next to its virtual table.
_SHADOW_SUFFIXES = {
    "fts5": ("data", "idx", "content", "docsize", "config"),
    "fts4": ("content", "segments", "segdir", "docsize", "stat"),
    "fts3": ("content", "segments", "segdir", "docsize", "stat"),
}
# The module of a CREATE VIRTUAL TABLE as SQLite reads it: past the table's name, which may hold any word when
# quoted, and comments; the module's name bare or quoted (`USING "fts5"` hid its shadow tables from the check that
# an admin sees every table: an outside tester, session 36).
_GAP = r"(?:\s|/\*.*?\*/|--[^\n]*(?:\n|$))*"
_NAME = r"(?:\"(?:[^\"]|\"\")*\"|\[[^\]]*\]|`(?:[^`]|``)*`|'(?:[^']|'')*'|[^\s(.\"'`\[]+)"
_USING = re.compile(
    rf"^{_GAP}CREATE{_GAP}VIRTUAL{_GAP}TABLE{_GAP}(?:IF{_GAP}NOT{_GAP}EXISTS{_GAP})?{_NAME}(?:{_GAP}\.{_GAP}{_NAME})?"
    rf"{_GAP}USING{_GAP}[\"'`\[]?(\w+)",
    re.IGNORECASE | re.DOTALL,
)
# `content=` as an option of its own (after the parenthesis or a comma), not inside another option's value.
_OWN_CONTENT_ELSEWHERE = re.compile(r"[(,]\s*content\s*=", re.IGNORECASE)
_VIRTUAL = re.compile(r"\s*CREATE\s+VIRTUAL\s+TABLE\b", re.IGNORECASE)


def fts_module(create_sql: str | None) -> str | None:
    """The module a virtual table's CREATE text names (`fts5`, `fts4`, ...), folded; None for other tables."""
    module = _USING.match(create_sql or "")
    return module.group(1).lower() if module else None


def is_virtual(create_sql: str | None) -> bool:
    """Whether a table's CREATE text (sqlite_master.sql) makes a virtual table."""
    return bool(create_sql) and _VIRTUAL.match(create_sql) is not None


def shadow_tables_of(rows) -> dict[str, str]:
    """{shadow table: its virtual table} (folded) among `rows` of sqlite_master (type, name, tbl_name, sql): the
    real tables an FTS virtual table made for itself. Only a table created as a virtual table has shadow tables
    (`USING fts5` in an ordinary table's DEFAULT once made a hidden `notes_content` readable: an outside tester,
    session 23), and an FTS table with `content=` has no `_content` of its own (a hidden one of that name was
    read). Not `pragma table_list`, which SQLite answers by compiling every view: a chain of views that each join
    the one before twice took it minutes (an outside tester, session 36)."""
    real_tables = {fold(name) for kind, name, _, sql in rows if kind == "table" and not is_virtual(sql)}
    shadows = {}
    for kind, name, _, sql in rows:
        if kind == "table" and is_virtual(sql):
            for suffix in _SHADOW_SUFFIXES.get(fts_module(sql) or "", ()):
                if suffix == "content" and _OWN_CONTENT_ELSEWHERE.search(sql):
                    continue
                candidate = fold(f"{name}_{suffix}")
                if candidate in real_tables:
                    shadows[candidate] = fold(name)
    return shadows


def shadow_table_names(conn: sqlite3.Connection) -> frozenset[str]:
    """The shadow tables of the database's FTS virtual tables (folded)."""
    return frozenset(shadow_tables_of(conn.execute("select type, name, tbl_name, sql from sqlite_master").fetchall()))


# No single value a plugin query computes or reads may be longer than this (SQLite's SQLITE_LIMIT_LENGTH on
# the plugin's connection while its query runs): `randomblob(1000000000)` fails at once instead of allocating.
MAX_VALUE_BYTES = 1_000_000
# ... nor a LIKE or GLOB pattern longer than this (SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50,000 by default): one match
# tries the pattern at each position of the text, in a call SQLite cannot interrupt, so '%' and 20,000 characters
# against 200,000 took 2.8 s here, and 50,000 against the 1,000,000 a value may hold would take about 35 s
# (session 35, after an outside tester's timings of trim). At 500: about 0.35 s at worst.
MAX_LIKE_PATTERN_BYTES = 500
# ... and no result may have more columns than this (a row of 1,000 copies of a 1 MB value is 1 GB).
MAX_RESULT_COLUMNS = 100


def pragma_name(function: str) -> str | None:
    """'pragma_table_info' -> 'table_info'; None for other names."""
    function = fold(function)
    return function[len("pragma_") :] if function.startswith("pragma_") else None


@dataclass(frozen=True)
class ReadPolicy:
    """What one actor's plugin query may read in one database (all names lower case)."""

    tables: frozenset[str]  # visible tables and views
    shadow_tables: frozenset[str] = frozenset()  # real shadow tables of visible FTS virtual tables
    indexes: frozenset[str] = frozenset()  # indexes of visible tables
    closed_keys: frozenset[str] = frozenset()  # visible tables whose foreign keys reference visible tables only
    stored: frozenset[str] = frozenset()  # every table and view in the database, visible or not
    roots: frozenset[int] = frozenset()  # b-tree pages a query may open: readable tables, their indexes, shadows
    hidden_virtual: frozenset[str] = frozenset()  # virtual tables the actor may not read
    functions: frozenset[str] = frozenset()  # functions a query may call on this connection (connection_functions)

    @classmethod
    def from_connection(cls, conn: sqlite3.Connection, visible) -> ReadPolicy:
        visible = frozenset(fold(name) for name in visible)
        rows = conn.execute("select type, name, tbl_name, sql from sqlite_master").fetchall()
        real_tables = {fold(name) for kind, name, _, _ in rows if kind == "table"}
        indexes = {fold(name) for kind, name, table, _ in rows if kind == "index" and fold(table or "") in visible}
        shadow = {name for name, owner in shadow_tables_of(rows).items() if owner in visible}
        closed = set(visible - real_tables)  # views have no foreign keys
        for name in visible & real_tables:
            try:
                targets = {fold(row[2]) for row in conn.execute("select * from pragma_foreign_key_list(?)", (name,))}
            except sqlite3.Error:
                continue
            if targets <= visible:
                closed.add(name)
        # A view is readable only when everything SQLite reads to compute it is readable: the authorizer cannot
        # tell a view from a CTE of the same name, so it never lets a view read what the actor may not.
        view_reads = _view_reads(conn, rows)
        readable = visible - {
            view for view, reads in view_reads.items() if view in visible and not reads <= visible | shadow
        }
        stored = frozenset(fold(name) for kind, name, _, _ in rows if kind in ("table", "view"))
        owners = readable | shadow
        roots = frozenset(
            root
            for _, name, table, root in conn.execute(
                "select type, name, tbl_name, rootpage from sqlite_master where rootpage > 0"
            )
            if fold(name) in owners or fold(table or "") in owners
        )
        hidden_virtual = frozenset(
            fold(name)
            for kind, name, _, sql in rows
            if kind == "table" and sql and sql.upper().startswith("CREATE VIRTUAL") and fold(name) not in readable
        )
        return cls(
            frozenset(readable),
            frozenset(shadow - visible),
            frozenset(indexes),
            frozenset(closed),
            stored,
            roots,
            hidden_virtual,
            connection_functions(conn),
        )

    # -- the questions both walls ask ------------------------------------------------------------------------

    def may_read(self, table: str) -> bool:
        """A stored table or view the actor may read (shadow tables only on behalf of their FTS table)."""
        return fold(table) in self.tables

    def may_read_internally(self, table: str) -> bool:
        """What SQLite may read while running a visible FTS table: its shadow tables."""
        return fold(table) in self.tables or fold(table) in self.shadow_tables

    def may_call(self, function: str) -> bool:
        return fold(function) in self.functions

    def may_pragma(self, pragma: str, argument: str | None) -> bool:
        pragma = fold(pragma)
        kind = PRAGMA_ARGUMENT.get(pragma)
        if kind is None:
            return pragma in INTERNAL_PRAGMAS and argument is None
        if argument is None:
            return False
        argument = fold(argument)
        if kind == "index":
            return argument in self.indexes
        if pragma == "foreign_key_list":
            return argument in self.closed_keys
        return argument in self.tables


def may_call_table_function(function: str) -> bool:
    return fold(function) in TABLE_FUNCTIONS or fold(function) in PRAGMA_FUNCTIONS


# Compiling a view is not covered by any time limit (SQLite's progress handler runs only while a statement runs),
# and a chain of 30 views that each join the one before twice, a 600-byte schema, takes SQLite time that doubles
# with each view: every surface that works out what a view reads hung for ever (an outside tester, session 36).
# So a view's compile may take at most VIEW_COMPILE_CALLS calls of the authorizer, and a schema's views together,
# in the schema's order, VIEWS_COMPILE_CALLS; a view past either is unreadable, to everyone. Counted in calls, not
# seconds: a verdict in time differed from one start to the next (a second tester saw 315, 360 and 359 of 401
# views listed, and an honest view hidden). Views that flatten into copies of each other take memory, not calls:
# read_policy (sql/authorizer.py) compiles them under the statements' memory budget (depth 11: 4 GB before). Time is
# a last resort. An honest view takes a few dozen calls.
VIEW_COMPILE_CALLS = 4_000  # twice the columns a table may have (2,000): a view of every column of two
VIEWS_COMPILE_CALLS = 20_000
VIEW_COMPILE_SECONDS = 2.0
UNREADABLE = "\0unreadable"
_VIEW_READS: dict = {}  # digest of the whole schema -> {view: the tables it reads}, every view of the schema
_VIEW_READS_LOCKS: dict = {}  # digest -> the lock its first reader holds while it compiles the views


def _view_reads(conn: sqlite3.Connection, schema_rows: list) -> dict[str, set[str]]:
    """What each view of the schema reads (_reads_of), worked out once per schema (`schema_rows`: all of
    sqlite_master), every view in the schema's order, by one thread while others wait: which tables a view reads
    does not depend on who asks, nor on which thread asked first. Keyed by the schema itself, not its version
    number: a file replaced by another may have the same version and views of the same names that read other
    tables."""
    key = hashlib.sha256(repr(schema_rows).encode("utf-8", "surrogatepass")).digest()
    known = _VIEW_READS.get(key)
    if known is not None:
        return known
    with _VIEW_READS_LOCKS.setdefault(key, threading.Lock()):
        known = _VIEW_READS.get(key)
        if known is None:
            known, spent = {}, 0
            for kind, name, _, _ in schema_rows:
                if kind != "view":
                    continue
                budget = min(VIEW_COMPILE_CALLS, VIEWS_COMPILE_CALLS - spent)
                reads, calls = _reads_of(conn, name, budget) if budget > 0 else ({UNREADABLE}, 0)
                known[fold(name)] = reads
                spent += calls
            if len(_VIEW_READS) > 64:
                _VIEW_READS.clear()
                _VIEW_READS_LOCKS.clear()
            _VIEW_READS[key] = known
    return known


def _reads_of(conn: sqlite3.Connection, view: str, budget: int) -> tuple[set[str], int]:
    """(the stored tables SQLite reads to compute `view` (lower case), the authorizer calls its compile took),
    found by compiling a SELECT of it; a view whose compile needs more than `budget` calls, or
    VIEW_COMPILE_SECONDS, or more memory than a statement may take, reads something unreadable."""
    reads: set[str] = set()
    calls = 0
    deadline = time.monotonic() + VIEW_COMPILE_SECONDS

    def record(action, table, column, database, source):
        nonlocal calls
        calls += 1
        if calls > budget or time.monotonic() > deadline:
            return sqlite3.SQLITE_DENY  # stops the compile
        if action == sqlite3.SQLITE_READ and table:
            reads.add(fold(table))
        return sqlite3.SQLITE_OK

    conn.set_authorizer(record)
    try:
        conn.execute(f"select * from {quote_identifier(view)} limit 0").fetchall()
    except (sqlite3.Error, MemoryError):
        reads.add(UNREADABLE)
    finally:
        conn.set_authorizer(None)
    return reads - {fold(view)} - SYSTEM_TABLES, calls
