"""SQLite's own count of the memory it holds, read from the library Python's sqlite3 module runs on.

SQLite's length limit bounds each value, not what a statement accumulates: `json_group_array()` and
`json_group_object()` (SQLite 3.40) grow their text with no limit until the aggregate ends, about 300 MB a second
here, and four Ask requests at once took +800 MB (found by the generated resource cases of
benchmarks/attack.py). sql/memory_budget.py stops a statement once SQLite holds more than its memory budget above
what it held when the statement started, checked every 1,000 SQLite instructions; a statement that grows faster
than that (99 such aggregates in one SELECT overshot the budget 5-15 times, found by an outside attacker) meets
SQLite's hard heap limit, set while the plugin's statements run.

Read through ctypes: the counter belongs to the copy of the library `_sqlite3` is linked against, found in this
process's memory map and checked once (a table of 2 MB must move the counter). Where that cannot be done (no
/proc, SQLite built into `_sqlite3`), `memory_used` is None and only the time limit bounds a statement.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def _loaded_library() -> str | None:
    """The path of the shared SQLite library mapped into this process, if there is one."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if "libsqlite3" in Path(path).name:
            return path
    return None


def _moves(counter: Callable[[], int]) -> bool:
    """Whether the counter sees memory that Python's sqlite3 connections allocate."""
    conn = sqlite3.connect(":memory:")
    try:
        before = counter()
        conn.execute("create table t (x)")
        conn.execute("insert into t values (zeroblob(2000000))")
        return counter() - before > 1_000_000
    finally:
        conn.close()


@functools.cache
def _library() -> ctypes.CDLL | None:
    """The SQLite library `_sqlite3` runs on, once its memory counter is seen to move; else None."""
    path = _loaded_library()
    if path is None:
        log.info("datasette-llm: SQLite's memory counter is not reachable here; only time limits bound queries")
        return None
    try:
        library = ctypes.CDLL(path)
        library.sqlite3_memory_used.restype, library.sqlite3_memory_used.argtypes = ctypes.c_int64, []
    except (OSError, AttributeError):
        return None
    if not _moves(library.sqlite3_memory_used):
        log.info("datasette-llm: %s is not the SQLite that sqlite3 uses; only time limits bound queries", path)
        return None
    return library


def memory_used() -> Callable[[], int] | None:
    """A function returning the bytes SQLite holds now (every connection in this process), or None."""
    library = _library()
    return library.sqlite3_memory_used if library is not None else None


def _limit_function(name: str) -> Callable[[int], int] | None:
    """SQLite's `name(sqlite3_int64) -> sqlite3_int64` from the library sqlite3 uses, or None where absent."""
    library = _library()
    try:
        function = getattr(library, name) if library is not None else None
    except AttributeError:
        return None
    if function is not None:
        function.restype, function.argtypes = ctypes.c_int64, [ctypes.c_int64]
    return function


@functools.cache
def hard_heap_limit() -> Callable[[int], int] | None:
    """sqlite3_hard_heap_limit64 (SQLite 3.31+): with N >= 0, no allocation may take SQLite's memory past N bytes
    (0: no limit) and the previous limit is returned; with -1, the limit is only returned. None where absent."""
    return _limit_function("sqlite3_hard_heap_limit64")


@functools.cache
def soft_heap_limit() -> Callable[[int], int] | None:
    """sqlite3_soft_heap_limit64: with N >= 0, the bytes past which SQLite's page caches stop growing and reuse
    their pages (0: no limit), and the previous limit is returned; with -1, the limit is only returned."""
    return _limit_function("sqlite3_soft_heap_limit64")
