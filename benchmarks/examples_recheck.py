"""How long trusted examples take to be checked again after a schema change (a question may wait for it).

    .venv/bin/python benchmarks/examples_recheck.py [--examples 300] [--rounds 3]

A throwaway store of N examples over one table; the schema then changes (a table is added) once a round and
every example is checked again against it, as the first question after a change does (examples/check.py). The
first round also starts the guard's worker process. Prints the time a round and per example.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path


async def rounds(store, conn, rounds: int, n: int) -> None:
    from datasette_llm.examples import check
    from datasette_llm.sql.results import SchemaInfo

    for k in range(rounds):
        conn.execute(f"create table added_{k} (x)")
        schema = SchemaInfo.from_connection(conn)
        started = time.perf_counter()
        await check._recheck("db", store, schema, check.schema_hash(schema))
        seconds = time.perf_counter() - started
        print(f"round {k + 1}: {n} examples checked again in {seconds:.2f} s, {seconds / n * 1000:.1f} ms each")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from datasette_llm.examples.store import ExampleStore

    with tempfile.TemporaryDirectory() as directory:
        store = ExampleStore(Path(directory) / "examples.db")
        conn = sqlite3.connect(":memory:")
        conn.execute("create table cats (id integer primary key, name text, age int)")
        for i in range(args.examples):
            store.add(
                "db",
                f"How many cats older than {i} share each name?",
                f"select name, count(*) from cats where age > {i} group by name",
                schema_hash="old",
                reads="cats",
                names="",
                added_by="benchmark",
            )
        asyncio.run(rounds(store, conn, args.rounds, args.examples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
