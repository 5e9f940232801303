"""What deciding which tables an actor may see costs on a large schema, on the Datasette installed.

    .venv/bin/python benchmarks/visible_tables.py [--tables 200 1000] [--runs 3]
    .venv-datasette1/bin/python benchmarks/visible_tables.py ...      # the Datasette 1.0 leg's venv

Each database has N tables, N/2 views and N/4 FTS5 tables over a table (content=), as an outside tester's
large schema did (session 28). Printed per size: the first `/-/llm/schema.json` (Datasette's own hidden-table
list is read then), the median of the next runs, and, in the same process, the median time of
permissions.viewable_tables (one permission query on Datasette 1.0) against can_view_table asked table by
table (its definition, what every question did before session 29). Numbers compare only within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def build(path: Path, n: int) -> None:
    conn = sqlite3.connect(path)
    for i in range(n):
        conn.execute(f"create table t{i} (id integer primary key, name text, v real)")
        conn.execute(f"insert into t{i} (name, v) values ('name {i}', {i})")
    for i in range(n // 2):
        conn.execute(f"create view v{i} as select * from t{i}")
    for i in range(n // 4):
        conn.execute(f"create virtual table f{i} using fts5(name, content='t{i}', content_rowid='id')")
    conn.commit()
    conn.close()


async def measure(path: Path, runs: int) -> dict:
    import datasette
    from datasette.app import Datasette

    from datasette_llm import permissions

    config = {"plugins": {"datasette-llm": {"warm_up": False}}}
    ds = Datasette(
        [str(path)], **({"config": config} if datasette.__version__.startswith("1") else {"metadata": config})
    )
    await ds.invoke_startup()
    await ds.client.get("/-/versions.json")
    started = time.perf_counter()
    first = await ds.client.get(f"/-/llm/schema.json?database={path.stem}")
    assert first.status_code == 200, first.text[:300]
    result = {"first": time.perf_counter() - started, "schema": [], "batch": [], "one_by_one": []}
    db = ds.get_database(path.stem)
    names = await permissions.listed_tables(db) + await db.view_names()
    for _ in range(runs):
        started = time.perf_counter()
        await ds.client.get(f"/-/llm/schema.json?database={path.stem}")
        result["schema"].append(time.perf_counter() - started)
        started = time.perf_counter()
        batch = await permissions.viewable_tables(ds, None, path.stem, names)
        result["batch"].append(time.perf_counter() - started)
        started = time.perf_counter()
        one_by_one = [t for t in names if await permissions.can_view_table(ds, None, path.stem, t)]
        result["one_by_one"].append(time.perf_counter() - started)
        assert batch == one_by_one
    result["names"] = len(names)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import datasette

    print(f"Datasette {datasette.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.tables:
            path = Path(tmp) / f"big{n}.db"
            build(path, n)
            r = asyncio.run(measure(path, args.runs))
            schema, batch, one_by_one = (statistics.median(r[k]) for k in ("schema", "batch", "one_by_one"))
            print(
                f"{n} tables + {n // 2} views + {n // 4} FTS ({r['names']} names): schema.json first"
                f" {r['first']:.2f} s, then p50 {schema:.2f} s; visible tables: one query p50 {batch:.3f} s,"
                f" table by table p50 {one_by_one:.3f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
