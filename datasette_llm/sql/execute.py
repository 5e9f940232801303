"""Run guarded SQL through Datasette's database object: read-only, time-limited, row-capped, within the memory
budget (memory_budget.py), and under the SQLite authorizer (authorizer.py) that allows only reads of the tables
the actor may see and safe functions.

The sqlglot guard is the first wall; the authorizer is the second. Even a statement the guard wrongly accepted
cannot write, attach, read another table or call a file function here.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .authorizer import check_program, hidden_vtab_operands, make_authorizer, read_policy
from .clipping import MAX_CELL_CHARS, MAX_FETCH_CHARS, clip_cell, held_size
from .failures import NAME_REFUSED, QueryFailed, QueryTimeout, damaged, public_error, unreadable
from .memory import memory_used as sqlite_memory_used
from .memory_budget import MAX_QUERY_MEMORY_BYTES, MEMORY_FLOOR, memory_message
from .names import quote_identifier
from .policy import (
    MAX_LIKE_PATTERN_BYTES,
    MAX_RESULT_COLUMNS,
    MAX_VALUE_BYTES,
    may_call_table_function,
)
from .snapshot import in_one_read

logger = logging.getLogger("datasette_llm")


@dataclass(frozen=True)
class QueryResult:
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    hit_row_cap: bool  # the query returned more rows than max_rows (or more than could be held)
    seconds: float
    clipped_by_row: tuple[int, ...] = ()  # cells of each of `rows` longer than MAX_CELL_CHARS, cut as they were fetched
    stopped_at_chars: bool = False  # fetching stopped at MAX_FETCH_CHARS (hit_row_cap is then True too)

    @property
    def clipped_cells(self) -> int:
        return sum(self.clipped_by_row)


T = TypeVar("T")


def foreign_keys_of(conn, table: str) -> tuple[tuple[str, str, str], ...]:
    """(column, referenced table, referenced column) of each foreign key of `table`; `REFERENCES other` alone
    means other's primary key (left out when it has none or several columns)."""
    keys = []
    for row in conn.execute(f"pragma foreign_key_list({quote_identifier(table)})"):
        column, other, other_column = row[3], row[2], row[4]
        if other_column is None:
            primary = [r[1] for r in conn.execute(f"pragma table_info({quote_identifier(other)})") if r[5]]
            if len(primary) != 1:
                continue
            other_column = primary[0]
        keys.append((column, other, other_column))
    return tuple(keys)


def select_names(conn, select_sql: str) -> list[str]:
    """The names of the columns `select_sql` (without a LIMIT) gives, read without running it."""
    return [d[0] for d in conn.execute(f"{select_sql} limit 0").description]


def guard_limit(max_rows: int) -> int:
    """The LIMIT the guard adds to a query that has none, when `max_rows` rows are kept: one row more, so that
    run_select sees whether the result was cut. With LIMIT max_rows itself, a result cut there looked complete to
    the model and the user (found by an outside tester: "1,000 of 1,000 rows" of a 1,500-row table)."""
    return max_rows + 1


async def run_select(db, sql: str, *, allowed_tables: set[str], max_rows: int, time_limit_ms: int) -> QueryResult:
    """Execute one guarded SELECT on Datasette's read connection for `db`.

    Bounds that hold for any statement: the time limit and MAX_QUERY_MEMORY_BYTES (a progress handler), no value
    longer than MAX_VALUE_BYTES (SQLite's length limit, restored afterwards), cells clipped to MAX_CELL_CHARS as
    they are fetched, and fetching stops at `max_rows` rows or MAX_FETCH_CHARS characters.
    """

    memory_used = sqlite_memory_used()

    def work(conn, cancelled: threading.Event):
        deadline = time.monotonic() + time_limit_ms / 1000
        stopped_for_memory = []
        seen = [0]  # SQLite's count at the last progress check: about what this statement held, less `used` after
        refused = []  # SQLite refused it an allocation at the hard heap limit
        floor = MEMORY_FLOOR

        def progress():
            if time.monotonic() > deadline or cancelled.is_set():
                return 1
            lowest = floor.floor
            if memory_used and lowest is not None:
                seen[0] = memory_used()
                if seen[0] > lowest + MAX_QUERY_MEMORY_BYTES:
                    stopped_for_memory.append(True)
                    return 1
            return 0

        started = time.perf_counter()
        policy = read_policy(conn, db, allowed_tables)
        hidden_vtabs = hidden_vtab_operands(conn, policy)  # eponymous tables (dbstat) even with none hidden
        length_limit = conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
        pattern_limit = conn.getlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN_BYTES)
        conn.set_authorizer(make_authorizer(policy))
        conn.set_progress_handler(progress, 1000)
        rows, clipped, held, cut_short = [], [], 0, False  # clipped: cells cut as they were fetched, row by row
        if memory_used:
            floor.enter(id(stopped_for_memory), memory_used())
        try:
            if not check_program(conn, sql, policy, hidden_vtabs):
                raise QueryFailed(f"SQLite error: {NAME_REFUSED}")
            cursor = conn.execute(sql)
            columns = tuple(d[0] for d in cursor.description or ())
            if len(columns) > MAX_RESULT_COLUMNS:  # as SQLite compiled it, whatever the guard counted
                cursor.close()
                raise QueryFailed(
                    f"The result has {len(columns)} columns; a SELECT may return at most {MAX_RESULT_COLUMNS} here: "
                    "name the columns it needs instead of *."
                )
            while len(rows) <= max_rows:
                row = cursor.fetchone()
                if row is None:
                    break
                cells, cut = [], 0
                for value in row:
                    # A cell is cut to what the fetch cap leaves too, so one wide row cannot pass it (an outside
                    # tester's 99 cells of 100,000 characters held 9.9 MB in one row, session 18).
                    value, was_clipped = clip_cell(value, min(MAX_CELL_CHARS, max(0, MAX_FETCH_CHARS - held)))
                    cut += was_clipped
                    held += held_size(value)
                    cells.append(value)
                rows.append(tuple(cells))
                clipped.append(cut)
                if held >= MAX_FETCH_CHARS:
                    # Cut only if there is a row more: 20 rows of 100,000 characters that end exactly at the cap
                    # were "20 of more than 20 rows" (an outside tester, session 36).
                    cut_short = len(rows) <= max_rows and cursor.fetchone() is not None
                    break
            cursor.close()
        except MemoryError:  # SQLITE_NOMEM: the hard heap limit (MemoryFloor) refused an allocation
            refused.append(True)
            raise QueryFailed(memory_message()) from None
        except sqlite3.OperationalError as error:
            if "out of memory" in str(error):
                refused.append(True)
                raise QueryFailed(memory_message()) from None
            if "interrupted" in str(error) and stopped_for_memory:
                raise QueryFailed(memory_message()) from None
            if "interrupted" in str(error):
                raise QueryTimeout(
                    f"The query took longer than the time limit of {time_limit_ms} ms and was stopped."
                ) from None
            if "pattern too complex" in str(error):
                raise QueryFailed(
                    f"SQLite error: {error}: a LIKE or GLOB pattern may be at most {MAX_LIKE_PATTERN_BYTES} bytes here."
                ) from None
            raise QueryFailed(f"SQLite error: {public_error(error)}") from None
        except sqlite3.DataError as error:
            if "too big" in str(error):
                raise QueryFailed(
                    f"SQLite error: {error}: no value may be longer than {MAX_VALUE_BYTES:,} bytes here; "
                    "select a part of it with substr() or its length()."
                ) from None
            raise QueryFailed(f"SQLite error: {error}") from None
        except sqlite3.DatabaseError as error:
            if damaged(error):  # a 503 as every other read of a damaged file, not the query's fault (a 400)
                raise unreadable(error) from None
            raise QueryFailed(f"SQLite error: {public_error(error)}") from None
        finally:
            used = memory_used() if memory_used else None
            freed = max(0, seen[0] - used) if used is not None and seen[0] else 0
            floor.leave(id(stopped_for_memory), used, freed, refused=bool(refused))
            conn.set_progress_handler(None, 1000)
            conn.set_authorizer(None)
            conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, length_limit)
            conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, pattern_limit)
        hit_cap = len(rows) > max_rows or cut_short
        return QueryResult(
            sql,
            columns,
            tuple(rows[:max_rows]),
            hit_cap,
            time.perf_counter() - started,
            # Of the rows returned: the row read past max_rows only tells the result was cut, and a note counted
            # its cut cell while all 100 rows returned were whole (an outside tester, session 53).
            clipped_by_row=tuple(clipped[:max_rows]),
            stopped_at_chars=cut_short,
        )

    return await on_a_read_thread(db, work)


async def read_as_actor(db, allowed_tables: set[str], read: Callable[[sqlite3.Connection], T], time_limit_ms: int) -> T:
    """`read(conn)`, the plugin's own reads of rows (an answer's passages, the rows a question names), in one read
    transaction under the same authorizer as a query of the actor's: whatever a table's name stands for when it
    runs, it reads only tables the actor may see. A name is decided before it is read, and a writer may swap a
    table for a view of a hidden one in between (an outside tester read a denied table's rows into passages 15
    times in 60 answers, session 33). QueryFailed when it reads another table, QueryTimeout past the limit."""

    def authorized(conn, cancelled: threading.Event):
        deadline = time.monotonic() + time_limit_ms / 1000
        policy = read_policy(conn, db, allowed_tables)
        actors = make_authorizer(policy)

        def authorize(action, arg1, arg2, db_name, source):
            # A read of no column passes make_authorizer for check_program to decide (a CTE may share a hidden
            # table's name); these reads have no CTE and no program check, so one of a table not allowed (a view
            # swapped in that counts a denied table's rows) is refused here (a second outside tester, session 33).
            column_less = action == sqlite3.SQLITE_READ and not arg2 and arg1
            if column_less and not policy.may_read_internally(arg1) and not may_call_table_function(arg1):
                return sqlite3.SQLITE_DENY
            return actors(action, arg1, arg2, db_name, source)

        conn.set_authorizer(authorize)
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline or cancelled.is_set()), 1000)
        try:
            return read(conn)
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                raise QueryTimeout(f"reading rows took longer than {time_limit_ms} ms and was stopped") from None
            raise QueryFailed(f"SQLite error: {public_error(error)}") from None
        except sqlite3.DatabaseError as error:
            if damaged(error):  # a 503 as every other read of a damaged file, not the query's fault (a 400)
                raise unreadable(error) from None
            raise QueryFailed(f"SQLite error: {public_error(error)}") from None
        finally:
            conn.set_progress_handler(None, 1000)
            conn.set_authorizer(None)

    # The transaction begins and ends outside the authorizer, which refuses both.
    return await on_a_read_thread(db, lambda conn, cancelled: in_one_read(conn, lambda c: authorized(c, cancelled)))


async def on_a_read_thread(db, work: Callable[[sqlite3.Connection, threading.Event], T]) -> T:
    """`work(conn, cancelled)` on one of Datasette's read threads for `db`, as one of at most num_sql_threads - 1
    plugin statements at once. When the request awaiting it is cancelled (its client left: web/disconnect.py),
    `cancelled` is set, which the statements' progress handlers read: a client that left kept SQLite busy until
    the time limit, the queued statements too (an outside tester, session 37: 12 clients that left at 0.4 s, 5.4 s
    of CPU after). The connection's cache of compiled statements is emptied after, see forget_statements."""
    cancelled = threading.Event()

    def in_thread(conn):
        if cancelled.is_set():  # given up while it waited for a thread
            raise QueryTimeout("The request was given up before its query ran.")
        try:
            return work(conn, cancelled)
        finally:
            forget_statements(conn)

    async with _sql_threads_for(db):
        try:
            return await db.execute_fn(in_thread)
        except asyncio.CancelledError:
            cancelled.set()
            raise


def forget_statements(conn: sqlite3.Connection) -> None:
    """Empty Python's cache of compiled statements on `conn` (128 a connection): a plugin statement's program,
    kept there after it ran, is memory no budget counts once it has ended, and an outside tester's 1 KB statements
    of nested CTEs compiled to 5.8 MB each, so one client's 220 of them, one after another, left the server holding
    2 GB (session 37). The cache is reached through the garbage collector's view of the connection (CPython's
    sqlite3 keeps it there as an lru_cache); where it is not found, nothing is emptied."""
    for referent in gc.get_referents(conn):
        if type(referent).__name__ == "_lru_cache_wrapper":
            referent.cache_clear()


_SQL_THREADS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Datasette -> {event loop: Semaphore}


def _sql_threads_for(db) -> asyncio.Semaphore | contextlib.nullcontext:
    """At most num_sql_threads - 1 of the plugin's statements run at once, so Datasette's own work (every page
    checks the schemas on a read thread) always finds a thread free: with all three held by statements that run
    to the time limit, Datasette answered nothing for a second (benchmarks/attack.py --generated)."""
    datasette = getattr(db, "ds", None)
    threads = int(datasette.setting("num_sql_threads") or 0) if datasette is not None else 0
    if threads < 2:
        return contextlib.nullcontext()
    by_loop = _SQL_THREADS.setdefault(datasette, weakref.WeakKeyDictionary())  # a semaphore serves one loop
    loop = asyncio.get_running_loop()
    semaphore = by_loop.get(loop)
    if semaphore is None:
        semaphore = by_loop[loop] = asyncio.Semaphore(threads - 1)
    return semaphore


def time_limit_for(datasette, configured_ms: int | None) -> int:
    """The plugin's limit if set, else Datasette's sql_time_limit_ms; never more than Datasette's."""
    datasette_ms = int(datasette.setting("sql_time_limit_ms") or 1000)
    return min(configured_ms, datasette_ms) if configured_ms else datasette_ms
