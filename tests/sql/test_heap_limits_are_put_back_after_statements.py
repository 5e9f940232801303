"""SQLite's heap limits are the process's, not the plugin's: while plugin statements run, MemoryFloor sets the hard
limit (and the soft limit below it), and once none runs, both are what they were before (memory_budget.py: "the
limit before is put back after"). The oracle is SQLite itself, read through the library _sqlite3 is linked against
(found in /proc/self/maps, not through the plugin's helpers): the limits read before the statements and after.

Before session 47's fix (an outside tester's mutation run found it) the hard limit was set first, SQLite lowered
the soft limit to it, and only then was the soft limit "before" read, so floor + 64 MB was what was put back
(SQLite's default is no soft limit: every page cache of the process was capped near 64 MB from the first plugin
statement on)."""

import random
import sqlite3

import pytest
from datasette.app import Datasette
from sql_helpers import mapped_sqlite

from datasette_llm.sql.execute import run_select


@pytest.fixture
def limits():
    library = mapped_sqlite("sqlite3_soft_heap_limit64", "sqlite3_hard_heap_limit64")
    if library is None:
        pytest.skip("no shared libsqlite3 with heap limits in this process")
    soft, hard = library.sqlite3_soft_heap_limit64, library.sqlite3_hard_heap_limit64
    saved = soft(-1), hard(-1)
    yield soft, hard
    hard(saved[1])
    soft(saved[0])


@pytest.mark.asyncio
async def test_soft_and_hard_heap_limits_are_what_they_were_after_statements(tmp_path, limits):
    soft, hard = limits
    path = tmp_path / "data.db"
    sqlite3.connect(path).executescript("create table items (id integer primary key); insert into items values (1);")
    db = Datasette([str(path)]).get_database("data")
    rng = random.Random(47)
    # none, and limits someone else set: above and below what the plugin sets while its statements run
    for before_soft, before_hard in [(0, 0)] + [
        (rng.choice([0, 16, 300, 2000]) * 2**20, rng.choice([0, 4000]) * 2**20) for _ in range(4)
    ]:
        hard(before_hard)
        soft(before_soft)
        before = soft(-1), hard(-1)  # as SQLite holds them (it keeps the soft limit at or below a hard one)
        result = await run_select(
            db, "select count(*) from items", allowed_tables={"items"}, max_rows=10, time_limit_ms=1000
        )
        assert result.rows == ((1,),)
        assert (soft(-1), hard(-1)) == before, f"soft, hard before {before}, after {(soft(-1), hard(-1))}"
