"""The memory budget is the progress handler's check (sql/execute.py: a statement is stopped once SQLite holds
MAX_QUERY_MEMORY_BYTES more than its floor); SQLite's hard heap limit, set at the same height while plugin statements
run, only catches what grows faster than the check sees. The hard limit exists only from SQLite 3.31 (memory.py:
None where absent), and where it exists it stops every statement of the suite's memory tests first, so the check
itself was tested by nothing: with it switched off, or its stop reported as a time-out, the whole suite passed.

Here SQLite's heap limits are taken away from MemoryFloor, as on an SQLite without them, and a statement that grows
one aggregate steadily to about 250 MB must be stopped for memory. The oracle is SQLite's own peak of memory held
(sqlite3_memory_highwater, read through ctypes), not the plugin's message alone."""

import sqlite3

import pytest
from datasette.app import Datasette
from sql_helpers import mapped_sqlite

from datasette_llm.sql import memory_budget
from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed, QueryTimeout
from datasette_llm.sql.memory import memory_used
from datasette_llm.sql.memory_budget import MAX_QUERY_MEMORY_BYTES

# One aggregate that grows by about 100 KB a row, 2,500 rows: it ends on its own (at the length limit) if nothing
# stops it, after taking a few hundred MB.
GROWING = (
    "with recursive r(i) as (select 1 union all select i + 1 from r where i < 2500) "
    "select length(json_group_array(hex(zeroblob(50000)) || i)) from r"
)


@pytest.mark.asyncio
async def test_the_progress_check_alone_stops_a_growing_statement_at_the_budget(tmp_path, monkeypatch):
    library = mapped_sqlite("sqlite3_memory_highwater")
    highwater = library.sqlite3_memory_highwater if library is not None else None
    if memory_used() is None or highwater is None:
        pytest.skip("SQLite's memory counter is not reachable in this Python")
    monkeypatch.setattr(memory_budget, "hard_heap_limit", lambda: None)  # an SQLite without heap limits
    monkeypatch.setattr(memory_budget, "soft_heap_limit", lambda: None)
    path = tmp_path / "data.db"
    sqlite3.connect(path).executescript("create table items (id integer primary key); insert into items values (1);")
    db = Datasette([str(path)]).get_database("data")
    before = memory_used()()
    highwater(1)  # SQLite's peak starts again from now
    with pytest.raises((QueryFailed, QueryTimeout)) as stopped:
        await run_select(db, GROWING, allowed_tables={"items"}, max_rows=1, time_limit_ms=30_000)
    grown_mb = (highwater(0) - before) / 2**20
    budget_mb = MAX_QUERY_MEMORY_BYTES / 2**20
    assert isinstance(stopped.value, QueryFailed) and "MB of memory" in stopped.value.message, stopped.value.message
    # the check runs every 1,000 instructions and the aggregate's buffer doubles: some way past the budget, not to
    # the hundreds of MB the statement takes when nothing stops it
    assert grown_mb < 2.5 * budget_mb, f"SQLite's peak +{grown_mb:.0f} MB with a budget of {budget_mb:.0f} MB"
