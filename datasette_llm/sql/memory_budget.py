"""The memory budget of the plugin's statements: SQLite's own count (sql/memory.py) when those running began,
and SQLite's hard and soft heap limits while any runs."""

from __future__ import annotations

import threading
import time

from .memory import hard_heap_limit, soft_heap_limit

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


class MemoryFloor:
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
        self.limit: int | None = None  # the hard heap limit set while statements run

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

    def leave(self, key: int, used: int | None = None, held: int = 0, refused: bool = False) -> None:
        """`used`: SQLite's count now, the statement's memory freed; `held`: about what it freed (its last count
        seen less `used`), which the starts of statements that entered after it hold and lose now. `refused`:
        SQLite refused the statement an allocation at the hard heap limit, so its count was about that limit
        then, however much less the statement's last progress check saw: a statement the machine's load kept
        from running while the one beside it grew met the limit on its next allocation, before its next check,
        and what it freed was counted from a check some 30 MB back; the later statement's start stayed that
        much too high, so did the floor once the older one left, and SQLite's peak reached 83 and 90 MB of a
        64 MB budget (the budget test, one CI run of two, session 52; seen again under three busy loops)."""
        with self.lock:
            if refused and used is not None and self.limit is not None:
                held = max(held, self.limit - used)
            keys = list(self.starts)  # in the order the statements entered
            later = keys[keys.index(key) + 1 :] if key in self.starts else []
            start = self.starts.pop(key, None)
            if used is not None:
                # never above a start as it was: one that entered after this statement, when SQLite's count had
                # fallen below this one's start, was raised to it (an outside tester's mutation run, session 47)
                self.starts = {
                    k: min(other, max(start, other - held) if held and k in later else other, used)
                    for k, other in self.starts.items()
                }
            self.floor = min(self.starts.values()) if self.starts else None
            self._limit()

    def _limit(self) -> None:
        limit, soft = hard_heap_limit(), soft_heap_limit()
        if limit is None:
            return
        if self.floor is None:
            self.limit = None
            if self.previous_limit is not None:
                limit(self.previous_limit)
                self.previous_limit = None
            if soft is not None and self.previous_soft is not None:
                soft(self.previous_soft)
                self.previous_soft = None
            return
        wanted = self.floor + HARD_MEMORY_MARGIN_BYTES
        if self.previous_limit is None:
            # Both read before either is set: setting the hard limit lowers a higher or absent soft limit to it, and
            # read after that, floor + 64 MB was "put back" as the process's soft limit for good (SQLite's default is
            # none: every page cache was capped near it from the first plugin statement on; an outside tester's
            # mutation run, session 47).
            self.previous_limit = limit(-1)
            self.previous_soft = soft(-1) if soft is not None else None
        if self.previous_limit > 0:  # someone else's limit stands if it is lower
            wanted = min(wanted, self.previous_limit)
        limit(wanted)
        self.limit = wanted
        if soft is not None:
            # Below the hard limit, page caches stop growing and reuse their pages: Datasette's own pages, filling
            # the caches of 20 databases while one long plugin statement ran, failed 1,510 of 2,870 times with a
            # MemoryError at the hard limit, and the statement was refused for memory it never took (a third
            # outside tester, session 37; so on the code before this session too).
            cap = wanted - SOFT_MARGIN_BYTES
            soft(min(cap, self.previous_soft) if self.previous_soft else cap)


MEMORY_FLOOR = MemoryFloor()


def memory_message() -> str:
    return (
        f"The query needed more than {MAX_QUERY_MEMORY_BYTES // 2**20} MB of memory and was stopped; "
        "aggregate fewer or shorter values (for example count() or length() instead of the values)."
    )
