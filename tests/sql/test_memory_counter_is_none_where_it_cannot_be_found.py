"""sql/memory.py: "Where that cannot be done (no /proc, SQLite built into `_sqlite3`), `memory_used` is None and only
the time limit bounds a statement" -- not an exception. Each way of not finding SQLite's counter is made here: no
/proc/self/maps to read, a mapped "libsqlite3" that cannot be loaded, a library whose counter does not move when
sqlite3 allocates (2 MB zeroblob). In each, memory_used() is None, and the library found afterwards is again the
one whose counter moves (the cache is cleared around each case)."""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql import memory

pytestmark = pytest.mark.no_datasette


class _NoProc:
    def __init__(self, *args):
        self.name = ""

    def read_text(self):
        raise OSError("no /proc here")


CASES = {
    "no_proc": lambda mp: mp.setattr(memory, "Path", _NoProc),
    "library_cannot_load": lambda mp: mp.setattr(memory, "_loaded_library", lambda: "/nonexistent/libsqlite3.so.0"),
    "counter_does_not_move": lambda mp: mp.setattr(memory, "_moves", lambda counter: False),
}


@pytest.fixture
def fresh_cache():
    memory._library.cache_clear()
    yield
    memory._library.cache_clear()


@pytest.mark.parametrize("case", sorted(CASES))
def test_memory_used_is_none_where_the_counter_cannot_be_found(monkeypatch, fresh_cache, case):
    CASES[case](monkeypatch)
    assert memory.memory_used() is None


def test_where_it_can_be_found_it_is_sqlites_own_count(fresh_cache):
    counter = memory.memory_used()
    if counter is None:
        pytest.skip("SQLite's counter is not reachable in this process")
    conn = sqlite3.connect(":memory:")
    before = counter()
    conn.execute("create table t (x)")
    conn.execute("insert into t values (zeroblob(3000000))")
    assert counter() - before > 2_000_000
    conn.close()


def test_a_heap_limit_function_the_library_lacks_is_none():
    """_limit_function: SQLite before 3.31 has no sqlite3_hard_heap_limit64; None then, not an exception."""
    if memory.memory_used() is None:
        pytest.skip("SQLite's counter is not reachable in this process")
    assert memory._limit_function("sqlite3_no_such_function_here") is None
    assert memory._limit_function("sqlite3_soft_heap_limit64") is not None
