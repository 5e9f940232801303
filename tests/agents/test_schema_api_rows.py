"""describe_table's example rows are read cut by SQLite just past what a row may show whole (rows of megabytes
were read whole, session 28). Differential: what cap_rows makes of them equals what it made of the whole rows."""

from __future__ import annotations

import random
import sqlite3
import tracemalloc

import pytest

from datasette_llm.agents.query_api import cap_rows
from datasette_llm.agents.schema_api import EXAMPLE_MAX_CHARS, EXAMPLE_ROWS, _example_rows

pytestmark = pytest.mark.no_datasette


def _capped(columns, rows):
    capped = cap_rows(columns, rows, max_rows=EXAMPLE_ROWS, max_chars=EXAMPLE_MAX_CHARS, cell_chars=200)
    return list(capped.columns), list(capped.rows), capped.note


@pytest.mark.parametrize("seed", range(8))
def test_example_rows_cap_as_the_whole_rows_did(tmp_path, seed):
    rng = random.Random(seed)

    def value():
        kind = rng.randrange(6)
        if kind == 0:
            return None
        if kind == 1:
            return rng.randrange(10**9)
        if kind == 2:
            return bytes(rng.randrange(256) for _ in range(rng.choice([0, 10, 2_000, 3_000])))
        alphabet = 'ab "\\\n' + "é😀" * (kind == 3)
        size = rng.choice([0, 199, 200, 201, 1_400, 2_999, 3_000, 3_001, 3_002, 9_000])
        return "".join(rng.choice(alphabet) for _ in range(size))

    conn = sqlite3.connect(tmp_path / "g.db")
    conn.execute('create table t ("a" text, b, "c d")')
    conn.execute('create view v as select b, "c d" from t')
    for _ in range(EXAMPLE_ROWS + 1):
        conn.execute("insert into t values (?, ?, ?)", [value(), value(), value()])
    for name in ("t", "v"):
        cursor = conn.execute(f'select * from "{name}" limit {EXAMPLE_ROWS}')
        whole = (tuple(d[0] for d in cursor.description), [tuple(row) for row in cursor.fetchall()])
        assert _capped(*_example_rows(conn, name)) == _capped(*whole)


def test_example_rows_of_megabytes_are_not_held(tmp_path):
    conn = sqlite3.connect(tmp_path / "big.db")
    conn.execute("create table t (id integer primary key, body text, picture blob)")
    for _ in range(3):
        conn.execute("insert into t values (null, ?, zeroblob(4000000))", ["x" * 4_000_000])
    _example_rows(conn, "t")
    tracemalloc.start()
    columns, rows = _example_rows(conn, "t")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert columns == ("id", "body", "picture") and len(rows[0][1]) == EXAMPLE_MAX_CHARS + 1
    assert rows[0][2] == {"$base64": True, "encoded": None, "bytes": 4_000_000, "clipped": True}
    assert _capped(columns, rows)[1][0][2] == rows[0][2]  # shown as a clipped blob
    assert peak < 1_000_000, peak  # the rows are 24 MB
