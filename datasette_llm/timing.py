"""Stage timings: one clock, and seconds per stage as every API reports them under `timings`."""

from __future__ import annotations

import time

clock = time.perf_counter  # the reading a stage starts from, passed to Timings.add


class Timings(dict):
    """Seconds per stage, each rounded to `digits` decimals: the `timings` of a result, as a plain dict to JSON.

    A stage timed more than once (every SQL attempt, every collection searched) adds up."""

    def __init__(self, digits: int):
        super().__init__()
        self.digits = digits

    def add(self, stage: str, started: float) -> None:
        """Adds the time since `started`, a clock() reading, to `stage`."""
        self.add_seconds(stage, clock() - started)

    def add_seconds(self, stage: str, seconds: float) -> None:
        self[stage] = round(self.get(stage, 0) + seconds, self.digits)
