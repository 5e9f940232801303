"""Run guarded SQL through Datasette's database object: read-only, time-limited, row-capped, and under an
SQLite authorizer that allows only reads of the tables the actor may see and safe functions.

The sqlglot guard is the first wall; this is the second. Even a statement the guard wrongly accepted
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from datasette.database import QueryInterrupted

from ..errors import DatasetteLLMError
from .memory import hard_heap_limit, soft_heap_limit
from .memory import memory_used as sqlite_memory_used
from .names import fold, quote_identifier
from .policy import (
    MAX_LIKE_PATTERN_BYTES,
    MAX_VALUE_BYTES,
    SYSTEM_TABLES,
    ReadPolicy,
    may_call_table_function,
)
from .snapshot import in_one_read

logger = logging.getLogger("datasette_llm")


class QueryFailed(DatasetteLLMError):
    """SQLite refused or failed the statement (syntax, time limit, authorizer)."""

    status = 400
    code = "query_failed"


class QueryTimeout(QueryFailed):
    code = "query_timeout"


@dataclass(frozen=True)
class QueryResult:
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    hit_row_cap: bool  # the query returned more rows than max_rows (or more than could be held)
    seconds: float
    clipped_cells: int = 0  # cells longer than MAX_CELL_CHARS, cut as they were fetched
    stopped_at_chars: bool = False  # fetching stopped at MAX_FETCH_CHARS (hit_row_cap is then True too)


def make_authorizer(policy: ReadPolicy):
    """SQLite's own check of every table, function and pragma a statement compiles to, against `policy`.

    Reads are allowed by exact table name only: the view-or-trigger argument is ignored, because SQLite reports
    a CTE's name there too (`WITH visible_view AS (SELECT * FROM hidden)` would pass as the view's own read).
    A read that names no column (`count(*)`, `EXISTS`) still names its table and is checked the same way.
    """

    def authorize(action, arg1, arg2, db_name, source):
        if action in (sqlite3.SQLITE_SELECT, SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            if db_name not in (None, "main") or not arg1:
                return sqlite3.SQLITE_DENY
            if fold(arg1) in SYSTEM_TABLES:
                # Table-valued pragmas and FTS5's constructor look at the schema: IGNORE reads NULL, so nothing
                # leaks through them; a read of no column (a row count of the schema) is refused.
                return sqlite3.SQLITE_IGNORE if arg2 else sqlite3.SQLITE_DENY
            if policy.may_read_internally(arg1):
                return sqlite3.SQLITE_OK
            if may_call_table_function(arg1) and fold(arg1) not in policy.stored:
                return sqlite3.SQLITE_OK  # json_each, pragma_*: unless a stored table took that name
            if not arg2:
                # A read of no column (`count(*)`, `EXISTS`) names the FROM item, and a CTE may share a hidden
                # table's name: both look alike here, so the compiled program decides (check_program).
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_OK if policy.may_call(arg2 or "") else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            if db_name not in (None, "main"):
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK if policy.may_pragma(arg1 or "", arg2) else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_UPDATE and fold(arg1 or "") in SYSTEM_TABLES:
            # FTS5's constructor prepares (never runs) an UPDATE of the schema; IGNORE leaves every column
            # unchanged, so even a statement that ran would write nothing.
            return sqlite3.SQLITE_IGNORE
        return sqlite3.SQLITE_DENY  # every write, DDL, ATTACH, transaction control...

    return authorize


T = TypeVar("T")
SQLITE_RECURSIVE = getattr(sqlite3, "SQLITE_RECURSIVE", 33)
_POLICIES: dict = {}  # (database, schema version, visible tables) -> ReadPolicy
CLIP_MARKER = "…[clipped]"  # ends every clipped text: cells here, in prompts, in the query API and search hits
MAX_CELL_CHARS = 100_000  # a longer cell is clipped as it is fetched (with CLIP_MARKER)
# Fetching stops once the rows held reach this size. Ask holds its rows until the answer is written and sends
# them twice (the early rows, the result): at 20,000,000, four Ask requests at once took +342 MB and stalled the
# event loop 1.3 s (benchmarks/attack.py, "Ask: 999,000-byte cells x4 parallel"). Datasette's page shows 1,000
# rows of 2,048 characters at most; a demo result of every README (779 rows) holds 2.6 million characters.
MAX_FETCH_CHARS = 2_000_000
# Statements are stopped once SQLite holds this much more memory than when the oldest statement still running
# started (sql/memory.py: an aggregate such as json_group_array() grows past the length limit). Statements
# running at once share the budget, so together they stay near it however many run.
MAX_QUERY_MEMORY_BYTES = 64 * 1024 * 1024


# While plugin statements run, SQLite's hard heap limit stands at the same budget above the floor: the progress
# handler checks only every 1,000 instructions, and one SELECT of 99 growing aggregates passed the budget by 5-15
# times between two checks. An allocation past the limit fails (SQLITE_NOMEM), which ends the statement.
HARD_MEMORY_MARGIN_BYTES = MAX_QUERY_MEMORY_BYTES
SHARED_START_SECONDS = 0.25
SOFT_MARGIN_BYTES = 16 * 1024 * 1024  # the page caches' limit stands this far below the hard limit


class _MemoryFloor:
    """SQLite's memory count when the statements running now began to run: `floor` (None: none runs). While any
    runs, SQLite's hard heap limit is `floor` + HARD_MEMORY_MARGIN_BYTES; the limit before is put back after.

    Each statement's start is SQLite's count when it entered, which holds what the statements already running had
    grown to: once they stopped, the floor rose to that count and the budget with it, and statements started one
    after the other as each neared the budget held 164 MB of a 64 MB budget (session 37, found by the memory-budget
    test going over its bound under load). So:
    - statements that enter within SHARED_START_SECONDS of the first of those running take its floor (started
      together, they share one budget: three at once entered 4-16 MB apart under load);
    - when a statement leaves, the starts of those that entered after it come down by about what it freed
      (`held`: they held it), not below its own, and every start to SQLite's count then (`used`): handed over
      without the first, two statements reached 1.45 times the budget and three 1.67 (a third tester).
    Both only ever lower a start to a count SQLite really had, and a start taken later is the count then: taking
    the first statement's floor for as long as any ran (this session's first fix) held it while Datasette's page
    caches grew past it under steady load, and the hard limit failed Datasette's own pages (a second tester)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.starts: dict[int, int] = {}
        self.floor: int | None = None
        self.first_entered: float = 0.0
        self.previous_limit: int | None = None
        self.previous_soft: int | None = None

    def enter(self, key: int, used: int) -> None:
        with self.lock:
            now = time.monotonic()
            if self.floor is None:
                self.first_entered = now
            elif now - self.first_entered <= SHARED_START_SECONDS:
                used = min(used, self.floor)
            self.starts[key] = used
            self.floor = min(self.starts.values())
            self._limit()

    def leave(self, key: int, used: int | None = None, held: int = 0) -> None:
        """`used`: SQLite's count now, the statement's memory freed; `held`: about what it freed (its last count
        seen less `used`), which the starts of statements that entered after it hold and lose now."""
        with self.lock:
            keys = list(self.starts)  # in the order the statements entered
            later = keys[keys.index(key) + 1 :] if key in self.starts else []
            start = self.starts.pop(key, None)
            if used is not None:
                self.starts = {
                    k: min(max(start, other - held) if held and k in later else other, used)
                    for k, other in self.starts.items()
                }
            self.floor = min(self.starts.values()) if self.starts else None
            self._limit()

    def _limit(self) -> None:
        limit, soft = hard_heap_limit(), soft_heap_limit()
        if limit is None:
            return
        if self.floor is None:
            if self.previous_limit is not None:
                limit(self.previous_limit)
                self.previous_limit = None
            if soft is not None and self.previous_soft is not None:
                soft(self.previous_soft)
                self.previous_soft = None
            return
        wanted = self.floor + HARD_MEMORY_MARGIN_BYTES
        if self.previous_limit is None:
            self.previous_limit = limit(-1)
        if self.previous_limit > 0:  # someone else's limit stands if it is lower
            wanted = min(wanted, self.previous_limit)
        limit(wanted)
        if soft is not None:
            # Below the hard limit, page caches stop growing and reuse their pages: Datasette's own pages, filling
            # the caches of 20 databases while one long plugin statement ran, failed 1,510 of 2,870 times with a
            # MemoryError at the hard limit, and the statement was refused for memory it never took (a third
            # outside tester, session 37; so on the code before this session too).
            if self.previous_soft is None:
                self.previous_soft = soft(-1)
            cap = wanted - SOFT_MARGIN_BYTES
            soft(min(cap, self.previous_soft) if self.previous_soft > 0 else cap)


_MEMORY_FLOOR = _MemoryFloor()


def read_policy(conn, db, allowed_tables) -> ReadPolicy:
    """The policy for these tables of Datasette database `db` (on its connection `conn`), rebuilt when the
    schema changes."""
    version = conn.execute("pragma schema_version").fetchone()[0]
    cache_key = (db.name, getattr(db, "path", None), id(db), version, frozenset(fold(t) for t in allowed_tables))
    policy = _POLICIES.get(cache_key)
    if policy is None:
        if len(_POLICIES) > 256:
            _POLICIES.clear()
        # Under the statements' memory budget: compiling views that flatten into copies of each other took 4 GB
        # (an outside tester, session 36); such a view is then unreadable (policy._reads_of).
        memory_used = sqlite_memory_used()
        if memory_used:
            _MEMORY_FLOOR.enter(id(cache_key), memory_used())
        try:
            policy = _POLICIES[cache_key] = ReadPolicy.from_connection(conn, allowed_tables)
        finally:
            if memory_used:
                _MEMORY_FLOOR.leave(id(cache_key), memory_used())
    return policy


# SQLite's words when a name does not resolve or the authorizer refuses one: "access to secret.pw is prohibited"
# would confirm that a hidden table and its column exist, so all of them read the same.
_NAME_ERRORS = (
    "no such table",
    "no such column",
    "prohibited",
    "not authorized",
    "no such index",
    "no such function",
    "no such module",
    "circular reference",
)
NAME_REFUSED = (
    "it names a table, column, index or function that does not exist or that you may not use "
    "(only the tables in the schema can be read)"
)


def public_read_failure(error: Exception, what: str) -> str:
    """What an asker may be told of a read of the plugin's own that failed: the kind of failure, never its text. A
    QueryInterrupted carries its statement and parameters, and that statement may be Datasette's own permission
    check, whose parameter is the name of a table the asker may not see (an outside tester, session 34). The
    whole error goes to the server's log."""
    logger.warning("datasette-llm: a read for %s failed: %r", what, error)
    if isinstance(error, QueryInterrupted):
        return "a read took longer than the time limit"
    if isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error)):
        return "another connection is writing to it"
    if damaged(error):
        return "its file is damaged"
    return "SQLite could not read it"


def damaged(error: Exception) -> bool:
    """A read that failed because the file is damaged ("database disk image is malformed"): no retry mends it."""
    text = str(error)
    return isinstance(error, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text)


def unreadable_message(error: Exception, what: str) -> str:
    """The sentence a 503 of a failed read says (public_read_failure): the search's and every page's."""
    if damaged(error):
        return (
            f"The database could not be read ({public_read_failure(error, what)}); its owner can check it with "
            "`PRAGMA integrity_check`."
        )
    return f"The database could not be read just now ({public_read_failure(error, what)}); try again shortly."


def _public(error: sqlite3.Error) -> str:
    text = str(error)
    return NAME_REFUSED if any(words in text for words in _NAME_ERRORS) else text


_OPENS = ("OpenRead", "OpenWrite", "ReopenIdx")
_VTABS: dict = {}  # (connection, schema version) -> VOpen operands of hidden virtual tables


def check_program(conn, sql: str, policy: ReadPolicy, hidden_vtabs: frozenset = frozenset()) -> bool:
    """Whether the program SQLite compiled for `sql` opens only b-trees and virtual tables the policy allows.

    The authorizer sees names; the program shows what will be read: the root page of every table or index a
    cursor opens, and the virtual table behind every VOpen. A row count of a hidden table opens its b-tree; a
    CTE that shares its name opens none.
    """
    for _, opcode, _, p2, p3, p4, *_ in conn.execute("EXPLAIN " + sql):
        if opcode in _OPENS and (p3 != 0 or p2 not in policy.roots):
            return False
        if opcode == "VOpen" and p4 in hidden_vtabs:
            return False
    return True


def hidden_vtab_operands(conn, policy: ReadPolicy) -> frozenset:
    """How VOpen names each hidden virtual table on this connection (its sqlite3_vtab, stable while connected).
    Called before the authorizer is set: the plugin's own EXPLAIN of each, which returns no rows."""
    version = conn.execute("pragma schema_version").fetchone()[0]
    key = (id(conn), version, policy.hidden_virtual)
    if key not in _VTABS:
        if len(_VTABS) > 64:
            _VTABS.clear()
        operands = set()
        for name in policy.hidden_virtual:
            try:
                rows = conn.execute(f"EXPLAIN SELECT * FROM {quote_identifier(name)}").fetchall()
            except sqlite3.Error:
                continue
            operands.update(row[5] for row in rows if row[1] == "VOpen")
        _VTABS[key] = frozenset(operands)
    return _VTABS[key]


def clip_text(text: str, limit: int) -> tuple[str, bool]:
    """(`text` cut to `limit` characters and ended with CLIP_MARKER, True), or (`text`, False) when it fits."""
    if len(text) > limit:
        return text[:limit] + CLIP_MARKER, True
    return text, False


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


def clipped_columns(
    names: Sequence[str], *, keep: Sequence[str] = (), text_chars: int | Mapping[str, int], blob: str
) -> str:
    """A select list of these columns with every text cut to `text_chars` characters (or `text_chars[name]`) by
    SQLite and every blob replaced by `blob` (an SQL expression over `{value}`), except the columns in `keep`
    (keys). Rows read whole, 20 search hits of 32 MB each, took 0.7 GB a request (an outside tester's memory
    oracle, session 28): cut here, Python never holds more of a cell than it shows."""
    parts = []
    for name in names:
        value = quote_identifier(name)
        if name in keep:
            parts.append(value)
            continue
        chars = text_chars[name] if isinstance(text_chars, Mapping) else text_chars
        parts.append(
            f"case typeof({value}) when 'text' then substr({value}, 1, {int(chars)}) "
            f"when 'blob' then {blob.format(value=value)} else {value} end as {value}"
        )
    return ", ".join(parts)


class ClippedBlob(bytes):
    """The first bytes of a blob too long to hold; `size` is the whole blob's length, which every surface shows
    (a 150,016-byte blob read as "100000 bytes" everywhere: an outside tester, session 36)."""

    size: int


def blob_size(value: bytes) -> int:
    """A blob's length in the database, whether or not it was clipped when fetched."""
    return getattr(value, "size", len(value))


def _clip_cell(value, limit: int = MAX_CELL_CHARS):
    """(value, clipped?): text or blobs longer than `limit` are cut before they are held."""
    if isinstance(value, str):
        return clip_text(value, limit)
    if isinstance(value, bytes) and len(value) > limit:
        clipped = ClippedBlob(value[:limit])
        clipped.size = len(value)
        return clipped, True
    return value, False


def _size(value) -> int:
    return len(value) if isinstance(value, (str, bytes)) else 16


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
        floor = _MEMORY_FLOOR

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
        hidden_vtabs = hidden_vtab_operands(conn, policy) if policy.hidden_virtual else frozenset()
        length_limit = conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
        pattern_limit = conn.getlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, MAX_LIKE_PATTERN_BYTES)
        conn.set_authorizer(make_authorizer(policy))
        conn.set_progress_handler(progress, 1000)
        rows, clipped, held, cut_short = [], 0, 0, False
        if memory_used:
            floor.enter(id(stopped_for_memory), memory_used())
        try:
            if not check_program(conn, sql, policy, hidden_vtabs):
                raise QueryFailed(f"SQLite error: {NAME_REFUSED}")
            cursor = conn.execute(sql)
            columns = tuple(d[0] for d in cursor.description or ())
            while len(rows) <= max_rows:
                row = cursor.fetchone()
                if row is None:
                    break
                cells = []
                for value in row:
                    # A cell is cut to what the fetch cap leaves too, so one wide row cannot pass it (an outside
                    # tester's 99 cells of 100,000 characters held 9.9 MB in one row, session 18).
                    value, was_clipped = _clip_cell(value, min(MAX_CELL_CHARS, max(0, MAX_FETCH_CHARS - held)))
                    clipped += was_clipped
                    held += _size(value)
                    cells.append(value)
                rows.append(tuple(cells))
                if held >= MAX_FETCH_CHARS:
                    # Cut only if there is a row more: 20 rows of 100,000 characters that end exactly at the cap
                    # were "20 of more than 20 rows" (an outside tester, session 36).
                    cut_short = len(rows) <= max_rows and cursor.fetchone() is not None
                    break
            cursor.close()
        except MemoryError:  # SQLITE_NOMEM: the hard heap limit (_MemoryFloor) refused an allocation
            raise QueryFailed(_memory_message()) from None
        except sqlite3.OperationalError as error:
            if "out of memory" in str(error):
                raise QueryFailed(_memory_message()) from None
            if "interrupted" in str(error) and stopped_for_memory:
                raise QueryFailed(_memory_message()) from None
            if "interrupted" in str(error):
                raise QueryTimeout(
                    f"The query took longer than the time limit of {time_limit_ms} ms and was stopped."
                ) from None
            if "pattern too complex" in str(error):
                raise QueryFailed(
                    f"SQLite error: {error}: a LIKE or GLOB pattern may be at most {MAX_LIKE_PATTERN_BYTES} bytes here."
                ) from None
            raise QueryFailed(f"SQLite error: {_public(error)}") from None
        except sqlite3.DataError as error:
            if "too big" in str(error):
                raise QueryFailed(
                    f"SQLite error: {error}: no value may be longer than {MAX_VALUE_BYTES:,} bytes here; "
                    "select a part of it with substr() or its length()."
                ) from None
            raise QueryFailed(f"SQLite error: {error}") from None
        except sqlite3.DatabaseError as error:
            raise QueryFailed(f"SQLite error: {_public(error)}") from None
        finally:
            used = memory_used() if memory_used else None
            floor.leave(id(stopped_for_memory), used, max(0, seen[0] - used) if used is not None and seen[0] else 0)
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
            clipped_cells=clipped,
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
            raise QueryFailed(f"SQLite error: {_public(error)}") from None
        except sqlite3.DatabaseError as error:
            raise QueryFailed(f"SQLite error: {_public(error)}") from None
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


def _memory_message() -> str:
    return (
        f"The query needed more than {MAX_QUERY_MEMORY_BYTES // 2**20} MB of memory and was stopped; "
        "aggregate fewer or shorter values (for example count() or length() instead of the values)."
    )


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
