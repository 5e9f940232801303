"""What a build reads: a table's text columns (or a `--sql` query's) row by row, each row's id and text, and a
statement that Ctrl-C can stop."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from contextlib import contextmanager

from ..errors import BadRequest, NotFound
from ..sql.lexer import without_trailing
from ..sql.names import quote_identifier as quote
from .store import StoreTables

# Python sees Ctrl-C only when it runs: while SQLite steps through one statement it runs none, so a `--sql` query
# with a recursive CTE that never ends ignored Ctrl-C for good (an outside tester's generated CLI runs, session 45).
# A progress handler every this many SQLite steps runs Python, so the signal is seen there (see ctrl_c_stops).
SIGNAL_STEPS = 10_000


@contextmanager
def ctrl_c_stops(*conns: sqlite3.Connection):
    """Ctrl-C stops the statement SQLite is running (it fails with "interrupted") and, anywhere else, raises
    KeyboardInterrupt as it always does. Python's own handler would raise inside the progress handler, which
    SQLite's callback machinery reports as an ignored exception with its traceback (Datasette turns those on)."""
    # Only the main thread may handle signals, and a program's own handler (or an ignored Ctrl-C) stays as it is.
    if (
        not conns
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    stop = threading.Event()

    def check() -> bool:
        return stop.is_set()

    def on_ctrl_c(signum, frame):
        if frame is not None and frame.f_code is check.__code__:
            stop.set()  # inside a statement: check() returns True and SQLite stops it
            return
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_ctrl_c)
    for conn in conns:
        conn.set_progress_handler(check, SIGNAL_STEPS)
    try:
        yield
    finally:
        for conn in conns:
            conn.set_progress_handler(None, SIGNAL_STEPS)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def interrupted_by_ctrl_c(error: BaseException) -> bool:
    """Whether a sqlite3 error is a statement stopped by Ctrl-C (ctrl_c_stops)."""
    return isinstance(error, sqlite3.OperationalError) and str(error) == "interrupted"


def _execute(conn: sqlite3.Connection, sql: str) -> sqlite3.Cursor:
    """conn.execute(sql); a statement stopped by Ctrl-C raises KeyboardInterrupt, as Ctrl-C anywhere else does."""
    try:
        return conn.execute(sql)
    except sqlite3.OperationalError as error:
        if interrupted_by_ctrl_c(error):
            raise KeyboardInterrupt from None
        raise


def user_tables(conn: sqlite3.Connection, tables: StoreTables | None = None) -> list[str]:
    """Tables a user would build a collection for: no SQLite internals, FTS shadows or our storage."""
    own = set((tables or StoreTables()).names)
    names = [
        row[0]
        for row in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"
        )
    ]
    fts = {
        row[0]
        for row in conn.execute(
            "select name from sqlite_master where type = 'table' and sql like '%VIRTUAL TABLE%USING FTS%'"
        )
    }
    shadow = {name for name in names for f in fts if name.startswith(f + "_")}
    return [name for name in names if name not in own and name not in fts and name not in shadow]


def _table_info(conn: sqlite3.Connection, table: str) -> list[tuple]:
    """A table's columns, generated ones too (`pragma table_info` leaves them out: a generated summary column could
    not be embedded; an outside tester, session 54): (cid, name, type, notnull, default, pk)."""
    rows = conn.execute(f"pragma table_xinfo({quote(table)})").fetchall()
    return [row[:6] for row in rows if row[6] != 1]  # hidden 1: a virtual table's hidden column


def primary_keys(conn: sqlite3.Connection, table: str) -> list[str]:
    """Primary key columns in key order; empty when the table only has a rowid."""
    info = [row for row in _table_info(conn, table) if row[5]]
    return [row[1] for row in sorted(info, key=lambda row: row[5])]


def text_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Columns with TEXT affinity (SQLite's rule: a declared type containing CHAR, CLOB or TEXT)."""
    return [
        row[1]
        for row in _table_info(conn, table)
        if any(word in (row[2] or "").upper() for word in ("CHAR", "CLOB", "TEXT"))
    ]


def row_id(values) -> str:
    """The embeddings id for a row's key values: the value itself for one column, a JSON list for several. A
    binary value names no row a search could show (its text was Python's b'...'): refused."""
    values = list(values)
    if any(isinstance(value, (bytes, bytearray, memoryview)) for value in values):
        raise BadRequest(BINARY_KEY)
    if len(values) == 1:
        return str(values[0])
    return json.dumps(values, ensure_ascii=False)


BINARY_KEY = (
    "A row's key is a binary value (a BLOB), which no search result can name: embed a table keyed by text or "
    "numbers (search finds a collection's rows by the table's primary key)."
)


MAX_ROW_TEXT_CHARS = 200_000  # what a row's text sends to any model: more than any embedding model reads


def row_text(values) -> str:
    """A row's text columns as one text, cut at MAX_ROW_TEXT_CHARS (three 50 MB cells went to a model server in
    one 161 MB request: an outside tester, session 36)."""
    text = " ".join(str(value) for value in values if value is not None and str(value).strip()).strip()
    return text[:MAX_ROW_TEXT_CHARS]


def read_source(conn: sqlite3.Connection, table: str, columns, sql: str | None) -> tuple[sqlite3.Cursor, int, int]:
    """(cursor, number of key columns, row count): rows are the key columns then the text columns."""
    if sql:
        # As people type queries: a trailing semicolon or comment made the count below a syntax error (an outside
        # tester, session 54).
        sql = without_trailing(sql)
        try:
            total = _execute(conn, f"select count(*) from ({sql})").fetchone()[0]
            cursor = _execute(conn, sql)
        except sqlite3.Error as error:
            raise BadRequest(f"The --sql query failed: {error}") from None
        if len(cursor.description) < 2:
            raise BadRequest("The --sql query must select an id column followed by one or more text columns.")
        return cursor, 1, total
    if table not in user_tables(conn):
        raise NotFound(f"Table {table!r} does not exist. Tables: {', '.join(user_tables(conn)) or 'none'}.")
    existing = [row[1] for row in _table_info(conn, table)]
    keys = primary_keys(conn, table) or ["rowid"]
    if keys == ["rowid"] and "rowid" in {name.lower() for name in existing}:
        # SQLite then reads the column for `rowid`: rows were stored by its values, and rows sharing one (NULL in
        # every row) were silently left out, 4 of 5 (an outside tester, session 54).
        raise BadRequest(
            f"Table {table!r} has no primary key and a column named rowid, which hides SQLite's own row ids, so "
            "its rows cannot be told apart: give the table a primary key."
        )
    if columns:
        unknown = [c for c in columns if c not in existing]
        if unknown:
            raise BadRequest(
                f"Table {table!r} has no column {', '.join(map(repr, unknown))}. Columns: {', '.join(existing)}."
            )
    else:
        found = text_columns(conn, table)
        columns = [c for c in found if c not in keys] or found
        if not columns:
            raise BadRequest(
                f"Table {table!r} has no text columns; choose columns with --column. Columns: {', '.join(existing)}."
            )
    select = ", ".join(quote(c) for c in [*keys, *columns])
    binary = " or ".join(f"typeof({quote(c)}) = 'blob'" for c in keys)
    if _execute(conn, f"select 1 from {quote(table)} where {binary} limit 1").fetchone():
        raise BadRequest(BINARY_KEY)  # before any row is embedded
    total = _execute(conn, f"select count(*) from {quote(table)}").fetchone()[0]
    cursor = _execute(conn, f"select {select} from {quote(table)}")
    return cursor, len(keys), total
