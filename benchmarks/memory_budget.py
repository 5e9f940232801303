"""SQLite's peak while statements started one after the other share the 64 MB memory budget, under CPU load.

    PYTHONPATH=. .venv/bin/python benchmarks/memory_budget.py [--runs 12] [--busy 3]

The scenario of tests/sql/test_execute.py::test_statements_started_one_after_another_share_one_budget: twelve
growing statements, two at a time, each started once the one before holds 70% of the budget, so each hands the
budget over to the next. `--busy` processes spin on the CPU meanwhile (this machine has 2 cores), the load under
which statements are kept from running while the one beside them grows. Prints SQLite's own peak above its count
before each run (sqlite3_memory_highwater), and the smallest, median and largest; the test's bound is 1.25 x
the budget (80 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from datasette.app import Datasette

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # resource_sql.py: the scenario the test runs

from resource_sql import STEADILY_GROWING, handed_over  # noqa: E402

from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.memory import _library, memory_used
from datasette_llm.sql.memory_budget import MAX_QUERY_MEMORY_BYTES


def peak_mb(reset: bool = False) -> float:
    library = _library()
    library.sqlite3_memory_highwater.restype, library.sqlite3_memory_highwater.argtypes = ctypes.c_int64, [ctypes.c_int]
    return library.sqlite3_memory_highwater(int(reset)) / 2**20


async def one_run(path: Path) -> tuple[float, int]:
    database = Datasette([str(path)]).get_database("data")
    peak_mb(reset=True)
    before = memory_used()() / 2**20
    outcomes = await handed_over(
        lambda: run_select(database, STEADILY_GROWING, allowed_tables=set(), max_rows=100, time_limit_ms=20000)
    )
    stopped = sum(isinstance(o, QueryFailed) and "MB of memory" in o.message for o in outcomes)
    return peak_mb() - before, stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--busy", type=int, default=3, help="processes spinning on the CPU meanwhile")
    args = parser.parse_args()
    if memory_used() is None:
        sys.exit("SQLite's memory counter is not reachable in this Python")
    path = Path(tempfile.mkdtemp()) / "data.db"
    sqlite3.connect(path).close()
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    peaks = []
    try:
        for n in range(args.runs):
            grown, stopped = asyncio.run(one_run(path))
            peaks.append(grown)
            print(f"run {n + 1:2d}: SQLite's peak +{grown:.0f} MB ({stopped} of 12 statements stopped for memory)")
    finally:
        for process in busy:
            process.kill()
    budget = MAX_QUERY_MEMORY_BYTES / 2**20
    print(
        f"{args.runs} runs, {args.busy} busy processes: peak min +{min(peaks):.0f}, "
        f"median +{statistics.median(peaks):.0f}, max +{max(peaks):.0f} MB "
        f"(budget {budget:.0f} MB, the test's bound {1.25 * budget:.0f} MB)"
    )


if __name__ == "__main__":
    main()
