"""Reads of the schema and of example rows at the schema version the actor's permissions were decided at.

Which tables an actor may see is decided from names (Datasette's table, view and hidden-table lists, then its
permission checks), over several reads. A writer may change the schema in between or afterwards: a view
redefined to read a hidden table, an FTS table created between the hidden-table list and the table list (its
shadow tables then looked like plain tables). Statements the model writes run under the authorizer, which
checks every table they really read; but column lists and example rows are read by the plugin itself. So the
names are decided between two reads of `pragma schema_version` that agree (SQLite increases it with every
change of the schema), and every later read of columns or rows runs in one read transaction that first checks
the version is still the same: what it reads is then exactly the schema the permissions were decided on.
(Found by an outside tester, session 18: a view swapped every 20 ms between a visible and a hidden table put
the hidden table's rows in Ask prompts and MCP's describe_table.)
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from ..errors import Busy

T = TypeVar("T")

TRIES = 3  # a schema that changes during every one of this many reads is reported, not read


class StaleSchema(Exception):
    """The schema is not at the version a read expected (caught by the reader, which decides again)."""


class SchemaChanged(Busy):
    code = "schema_changed"

    def __init__(self, database: str):
        super().__init__(
            f"The schema of the database {database!r} changed while it was being read; try again.", retry_after=1
        )


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("pragma schema_version").fetchone()[0]


def in_one_read(conn: sqlite3.Connection, read: Callable[[sqlite3.Connection], T]) -> T:
    """`read(conn)` in one read transaction (the one already open, if any): all its statements see one version
    of the database. Runs in Datasette's read thread (db.execute_fn)."""
    own = not conn.in_transaction
    if own:
        conn.execute("begin")
    try:
        return read(conn)
    finally:
        if own and conn.in_transaction:
            conn.execute("rollback")


def at_version(conn: sqlite3.Connection, version: int, read: Callable[[sqlite3.Connection], T]) -> T:
    """`read(conn)` in one read transaction in which the schema is at `version`; StaleSchema (nothing read) when
    it is not. Runs in Datasette's read thread (db.execute_fn)."""

    def checked(conn: sqlite3.Connection) -> T:
        if schema_version(conn) != version:
            raise StaleSchema
        return read(conn)

    return in_one_read(conn, checked)


def with_deadline(conn: sqlite3.Connection, milliseconds: int, read: Callable[[], T]) -> T | None:
    """`read()` stopped after `milliseconds` (None then), for reads such as a row count that may be slow: a
    progress handler, as Datasette's own time limit sets one."""
    deadline = time.perf_counter() + milliseconds / 1000
    steps = 1 if milliseconds <= 20 else 1000  # SQLite instructions between checks (1,000: about 0.08 ms)
    conn.set_progress_handler(lambda: time.perf_counter() >= deadline, steps)
    try:
        return read()
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            return None
        raise
    finally:
        conn.set_progress_handler(None, steps)
