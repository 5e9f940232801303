"""MemoryFloor (sql/memory_budget.py) "only ever lowers a start to a count SQLite really had": on generated
sequences of statements entering and leaving (counts that grow or fall from one entry to the next, any count at a
leave, gaps in time, `held`), no statement's start ever rises, the
floor is the least start, and SQLite's hard heap limit, read through the library _sqlite3 is linked against (ctypes,
-1 only reads it), stands at floor + HARD_MEMORY_MARGIN_BYTES while any runs and is what it was once none runs.
A leave that lowered the starts of the statements entered *before* it as if they held what it freed raised an
older statement's start to the leaver's, and with it the floor and the hard limit: a statement that started at 10
MB got the budget from 50 MB (outside tester's mutation run, session 47)."""

from __future__ import annotations

import random

import pytest
from sql_helpers import mapped_sqlite

from datasette_llm.sql import memory_budget
from datasette_llm.sql.memory_budget import HARD_MEMORY_MARGIN_BYTES, SHARED_START_SECONDS, MemoryFloor

pytestmark = pytest.mark.no_datasette

MB = 2**20


LIBRARY = mapped_sqlite("sqlite3_hard_heap_limit64", "sqlite3_memory_used")


@pytest.mark.skipif(LIBRARY is None, reason="no shared SQLite library with heap limits in this process")
@pytest.mark.parametrize("seed", range(40))
def test_starts_only_come_down_and_the_hard_limit_follows_the_floor(monkeypatch, seed):
    rng = random.Random(seed)
    clock = [1000.0]
    monkeypatch.setattr(memory_budget.time, "monotonic", lambda: clock[0])
    before = LIBRARY.sqlite3_hard_heap_limit64(-1)
    # counts above what SQLite really holds, so that the limits set never fail this process's allocations
    base = LIBRARY.sqlite3_memory_used() + 32 * MB
    floor = MemoryFloor()
    running: list[int] = []
    seen: dict[int, int] = {}
    next_key = 0
    level = base  # SQLite's count when a statement enters: it grows and falls while statements run
    try:
        for _ in range(rng.randrange(4, 30)):
            clock[0] += rng.choice([0.01, SHARED_START_SECONDS * 2, SHARED_START_SECONDS * 10])
            if running and rng.random() < 0.45:
                key = running.pop(rng.randrange(len(running)))
                held = rng.choice([0, rng.randrange(1, 80) * MB])
                floor.leave(key, base + rng.randrange(0, 200) * MB, held)
                seen.pop(key)
            else:
                key = next_key
                next_key += 1
                running.append(key)
                level = max(base, level + rng.randrange(-30, 20) * MB)
                floor.enter(key, level)
                seen[key] = floor.starts[key]
            for k in running:
                assert floor.starts[k] <= seen[k], (seed, k, floor.starts[k], seen[k])
                seen[k] = floor.starts[k]
            assert set(floor.starts) == set(running)
            if running:
                assert floor.floor == min(floor.starts.values())
                wanted = floor.floor + HARD_MEMORY_MARGIN_BYTES
                if before > 0:
                    wanted = min(wanted, before)
                assert LIBRARY.sqlite3_hard_heap_limit64(-1) == wanted
            else:
                assert floor.floor is None
                assert LIBRARY.sqlite3_hard_heap_limit64(-1) == before
    finally:
        for key in list(floor.starts):
            floor.leave(key)
    assert LIBRARY.sqlite3_hard_heap_limit64(-1) == before
