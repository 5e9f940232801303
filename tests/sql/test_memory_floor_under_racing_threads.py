"""MemoryFloor is shared by every read thread of the process (sql/memory_budget.py: "the shared budget of statements
running at once"): enter() and leave() change its starts under one lock. Statements entering and leaving on several
threads at once must leave no start behind, raise nothing, and put SQLite's hard heap limit back once none runs.
The oracle is SQLite's own hard limit, read through the libsqlite3 mapped into this process (sql_helpers), and the
statements the threads know are running. Without the lock in leave() the whole suite passed (an outside tester's
mutation run, session 51); here it lost starts (a hard limit that never came back), raised "dictionary changed size
during iteration" and "min() arg is an empty sequence" in 4 of 5 runs of one round."""

import sys
import threading

import pytest
from sql_helpers import mapped_sqlite

from datasette_llm.sql.memory_budget import MemoryFloor

pytestmark = pytest.mark.no_datasette

MB = 2**20
LIBRARY = mapped_sqlite("sqlite3_hard_heap_limit64", "sqlite3_memory_used")


@pytest.mark.skipif(LIBRARY is None, reason="no shared SQLite library with heap limits in this process")
def test_starts_entered_and_left_on_many_threads_leave_nothing_behind():
    hard = LIBRARY.sqlite3_hard_heap_limit64
    before = hard(-1)
    base = LIBRARY.sqlite3_memory_used() + 32 * MB  # above what SQLite holds: the limits set never fail anything
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can
    try:
        for round_ in range(3):
            floor = MemoryFloor()
            errors: list[str] = []
            lost: list[int] = []

            def statements(thread: int, round_=round_, floor=floor, lost=lost, errors=errors) -> None:
                try:
                    for i in range(6000):
                        key = (round_ * 100 + thread) * 10**6 + i
                        floor.enter(key, base + (i % 50) * MB)
                        if key not in floor.starts:
                            lost.append(key)
                        floor.leave(key, base + (i % 40) * MB, held=(i % 7) * MB)
                except Exception as error:  # noqa: BLE001 - any is a failure of the promise
                    errors.append(repr(error))

            threads = [threading.Thread(target=statements, args=(t,)) for t in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert not errors, errors[:3]
            assert not lost, f"{len(lost)} running statements had no start"
            assert floor.starts == {} and floor.floor is None, floor.starts
            assert hard(-1) == before, "SQLite's hard heap limit was not put back once no statement ran"
    finally:
        sys.setswitchinterval(interval)
        hard(before)
