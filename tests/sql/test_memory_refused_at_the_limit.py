"""A statement SQLite refused an allocation at the hard heap limit held about that limit when it stopped.

When a statement leaves, the starts of the statements that entered after it come down by what it freed, counted
from SQLite's count at its last progress check. A statement the machine's load kept from running while the one
beside it grew met the hard limit on its next allocation, before its next check, so what it freed was counted
from a check some 30 MB back: the later statement's start stayed that much too high, so did the floor once the
older one left, and SQLite's peak reached 83 and 90 MB of a 64 MB budget (the budget test in
tests/sql/test_execute.py, one CI run of two in session 52; seen again here under three busy loops, 2 of 12 runs).
"""

import asyncio
import sqlite3
import time

import pytest
from datasette.app import Datasette
from resource_sql import STEADILY_GROWING

from datasette_llm.sql import memory_budget
from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed, QueryTimeout
from datasette_llm.sql.memory import hard_heap_limit, memory_used
from datasette_llm.sql.memory_budget import HARD_MEMORY_MARGIN_BYTES, SHARED_START_SECONDS, MemoryFloor

MB = 2**20


@pytest.fixture
def limits():
    if memory_used() is None or hard_heap_limit() is None:
        pytest.skip("SQLite's memory counter and heap limit are not reachable in this Python")


@pytest.mark.parametrize("refused", [True, False])
def test_a_statement_refused_at_the_limit_takes_the_limit_out_of_later_starts(limits, refused):
    """The numbers of the run that overshot: 1 started at the floor, 2 entered while 1 held 26 MB; 1's last check
    saw 33.9 MB, then 2 grew while 1 waited, 1 was refused at the limit (64 MB up) and freed, leaving 26.5 MB.
    Refused, 1 held about 64 - 26.5 MB: 2's start comes down to 1's. A statement that stopped otherwise keeps the
    rule as it was (what its last check saw less the count after)."""
    floor, base = MemoryFloor(), memory_used()()
    try:
        floor.enter(1, base)
        assert floor.limit == base + HARD_MEMORY_MARGIN_BYTES == hard_heap_limit()(-1)
        time.sleep(SHARED_START_SECONDS + 0.05)
        floor.enter(2, base + 26 * MB)
        used = base + int(26.5 * MB)
        floor.leave(1, used, held=int(33.9 * MB) - int(26.5 * MB), refused=refused)
        if refused:
            assert floor.starts == {2: base}
        else:
            assert floor.starts == {2: base + 26 * MB - (int(33.9 * MB) - int(26.5 * MB))}
        assert floor.limit == floor.floor + HARD_MEMORY_MARGIN_BYTES
    finally:
        for key in list(floor.starts):
            floor.leave(key)
    assert floor.floor is None and floor.limit is None and hard_heap_limit()(-1) == 0


def test_a_refused_statement_never_lowers_a_later_start_below_its_own(limits):
    """Refused or not, a later start comes down to the leaving statement's start at the lowest, a count SQLite
    really had, and never rises."""
    floor, base = MemoryFloor(), memory_used()()
    try:
        floor.enter(1, base + 10 * MB)
        time.sleep(SHARED_START_SECONDS + 0.05)
        floor.enter(2, base + 12 * MB)
        floor.leave(1, base, held=0, refused=True)
        assert floor.starts == {2: base}  # the count after it freed is lower still: SQLite really had that
        floor.enter(3, base + 40 * MB)
        time.sleep(SHARED_START_SECONDS + 0.05)
        floor.enter(4, base + 50 * MB)
        floor.leave(3, base + 45 * MB, held=0, refused=True)
        assert floor.starts == {2: base, 4: base + 40 * MB}  # 3's start, not below it; 2 entered before 3
    finally:
        for key in list(floor.starts):
            floor.leave(key)


async def _leaves(monkeypatch, sql, limit_ms, tmp_path):
    """What run_select told the process's floor when the statement left, and how the statement ended."""
    calls = []
    real_leave = memory_budget.MEMORY_FLOOR.leave

    def leave(key, used=None, held=0, refused=None):
        if refused is not None:  # the statement's own leave (the read policy's check of the schema leaves too)
            calls.append(refused)
        real_leave(key, used, held, refused=bool(refused))

    monkeypatch.setattr(memory_budget.MEMORY_FLOOR, "leave", leave)
    path = tmp_path / "data.db"
    sqlite3.connect(path).close()
    datasette = Datasette([str(path)])
    try:
        await run_select(datasette.get_database("data"), sql, allowed_tables=set(), max_rows=10, time_limit_ms=limit_ms)
    except (QueryFailed, QueryTimeout) as error:
        return calls, error
    return calls, None


@pytest.mark.asyncio
async def test_run_select_tells_the_floor_when_sqlite_refused_its_memory(limits, monkeypatch, tmp_path):
    """Alone, the growing statement (99 aggregates that double their text together: SQLite's count jumps past the
    hard limit inside one row) meets the hard limit (its count cannot pass the limit, so no progress check sees the
    budget passed): it leaves as refused. One stopped by its time limit, or one that ends, does not."""
    calls, error = await _leaves(monkeypatch, STEADILY_GROWING, 20000, tmp_path)
    assert isinstance(error, QueryFailed) and "MB of memory" in error.message
    assert calls == [True]
    slow = "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"
    calls, error = await _leaves(monkeypatch, slow, 150, tmp_path)
    assert isinstance(error, QueryTimeout) and calls == [False]
    calls, error = await _leaves(monkeypatch, "select 1", 1000, tmp_path)
    assert error is None and calls == [False]
    await asyncio.sleep(0)
    assert memory_budget.MEMORY_FLOOR.floor is None
