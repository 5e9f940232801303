"""read_policy (sql/authorizer.py) builds a policy under the statements' memory budget (MemoryFloor), and like every
plugin statement it leaves SQLite's heap limits as they were once it is done (memory_budget.py: "the limit before
is put back after"): with SQLite itself as the oracle (sqlite3_hard_heap_limit64 / sqlite3_soft_heap_limit64 read
with -1 through the library _sqlite3 is linked against), after policies built for generated sets of tables and
schema versions both limits are what they were, and MEMORY_FLOOR holds no statement. Its cache stays bounded
(257 entries at most) however many table sets are asked for."""

from __future__ import annotations

import random
import sqlite3

import pytest
from sql_helpers import mapped_sqlite

from datasette_llm.sql import authorizer
from datasette_llm.sql.authorizer import read_policy
from datasette_llm.sql.memory_budget import MEMORY_FLOOR

pytestmark = pytest.mark.no_datasette

LIBRARY = mapped_sqlite("sqlite3_soft_heap_limit64", "sqlite3_hard_heap_limit64")


class _Database:
    def __init__(self, name):
        self.name = name
        self.path = None


@pytest.mark.skipif(LIBRARY is None, reason="no shared SQLite library with heap limits in this process")
@pytest.mark.parametrize("limits", [(0, 0), (2**40, 2**39)])
def test_heap_limits_are_what_they_were_after_read_policy(limits):
    hard0, soft0 = LIBRARY.sqlite3_hard_heap_limit64(-1), LIBRARY.sqlite3_soft_heap_limit64(-1)
    LIBRARY.sqlite3_hard_heap_limit64(limits[0])
    LIBRARY.sqlite3_soft_heap_limit64(limits[1])
    try:
        hard, soft = LIBRARY.sqlite3_hard_heap_limit64(-1), LIBRARY.sqlite3_soft_heap_limit64(-1)
        rng = random.Random(sum(limits))
        conn = sqlite3.connect(":memory:")
        names = [f"t{i}" for i in range(6)]
        for name in names:
            conn.execute(f"create table {name} (x)")
        db = _Database(f"heap{limits[0]}")
        for step in range(20):
            if rng.random() < 0.2:
                conn.execute(f"create table extra{step} (y)")  # a new schema version: the policy is rebuilt
            read_policy(conn, db, set(rng.sample(names, rng.randrange(0, len(names) + 1))))
            assert MEMORY_FLOOR.floor is None and not MEMORY_FLOOR.starts
            assert (LIBRARY.sqlite3_hard_heap_limit64(-1), LIBRARY.sqlite3_soft_heap_limit64(-1)) == (hard, soft)
    finally:
        LIBRARY.sqlite3_hard_heap_limit64(hard0)
        LIBRARY.sqlite3_soft_heap_limit64(soft0)


def test_the_policy_cache_stays_bounded():
    conn = sqlite3.connect(":memory:")
    names = [f"t{i}" for i in range(12)]
    for name in names:
        conn.execute(f"create table {name} (x)")
    db = _Database("bounded")
    rng = random.Random(5)
    for _ in range(400):
        read_policy(conn, db, set(rng.sample(names, 6)))
        assert len(authorizer._POLICIES) <= 257
