"""The memory budget rests on SQLite's own memory counter (sql/memory.py). Where it is not found, `memory_used()` is
None, the budget is silently off (only the time limit bounds a statement), and every memory test of the suite
skips: a lookup broken by a change passes the whole suite. So this checks the lookup against an oracle of its own:
where this process maps a shared libsqlite3 whose `sqlite3_memory_used` moves when Python's sqlite3 allocates (read
here from /proc/self/maps and ctypes, not through the plugin), the plugin finds that counter, and its heap-limit
functions, in the same library."""

import ctypes
import sqlite3
from pathlib import Path

import pytest

from datasette_llm.sql import memory

pytestmark = pytest.mark.no_datasette


def mapped_sqlite_counter():
    """SQLite's counter in the shared library mapped into this process, if it sees sqlite3's allocations."""
    paths = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 6 and Path(fields[-1]).name.startswith("libsqlite3") and fields[-1] not in paths:
            paths.append(fields[-1])
    for path in paths:
        library = ctypes.CDLL(path)
        counter = library.sqlite3_memory_used
        counter.restype, counter.argtypes = ctypes.c_int64, []
        conn = sqlite3.connect(":memory:")
        before = counter()
        conn.execute("create table t (x)")
        conn.execute("insert into t values (zeroblob(3000000))")
        moved = counter() - before
        conn.close()
        if moved > 2_000_000:
            return library
    return None


def test_the_plugin_reads_the_counter_sqlite3_really_moves():
    library = mapped_sqlite_counter()
    if library is None:
        pytest.skip("no shared libsqlite3 whose counter sees sqlite3's allocations in this process")
    used = memory.memory_used()
    assert used is not None, "SQLite's counter is reachable here, but the plugin runs without a memory budget"
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("create table t (x)")
        conn.execute("insert into t values (zeroblob(4000000))")
        # the same counter: read one after the other, the two agree to within what happened in between
        assert abs(used() - library.sqlite3_memory_used()) < 1_000_000
    finally:
        conn.close()
    for name, found in (
        ("sqlite3_hard_heap_limit64", memory.hard_heap_limit()),
        ("sqlite3_soft_heap_limit64", memory.soft_heap_limit()),
    ):
        if hasattr(library, name):
            assert found is not None, f"{name} exists in the library, but the plugin sets no such limit"
            theirs = getattr(library, name)
            theirs.restype, theirs.argtypes = ctypes.c_int64, [ctypes.c_int64]
            saved = theirs(-1)
            try:  # the same limit, read in full (sqlite3_int64: a floor past 2 GB must not wrap)
                theirs(5 * 2**30 + 4096)
                assert found(-1) == theirs(-1) == 5 * 2**30 + 4096
            finally:
                theirs(saved)
