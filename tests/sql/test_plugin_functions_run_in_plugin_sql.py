"""The plugin's own SQL functions (SECURITY.md: `llm_cosine` and `rank_bm25` beside SQLite's built-ins) run in SQL the
plugin checks and runs, with the values they give anywhere else: `llm_cosine` the cosine NumPy computes, `rank_bm25`
what sqlite-fts4's function gives over the same matchinfo on a plain connection. Emptying the list of the plugin's
functions refused both and passed 152 tests (an outside tester's mutation run, session 47)."""

from __future__ import annotations

import random
import sqlite3
from urllib.parse import quote

import numpy as np
import pytest
from datasette.app import Datasette

# Read on a plain connection: Datasette 0.65 hides every FTS table from the plugin's SQL.
MATCHINFO = "select matchinfo(docs, 'pcnalx') from docs where docs match 'apple'"


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("create table items (id integer primary key)")
    conn.execute("create virtual table docs using fts4(body)")
    rng = random.Random(47)
    words = ["apple", "pear", "plum", "fig"]
    conn.executemany("insert into docs (body) values (?)", [(" ".join(rng.choices(words, k=8)),) for _ in range(20)])
    conn.commit()
    conn.close()
    return path


async def _rows(datasette, sql):
    response = await datasette.client.get(f"/-/llm/query.json?database=data&sql={quote(sql)}")
    assert response.status_code == 200, response.text
    return response.json()["rows"]


@pytest.mark.asyncio
async def test_llm_cosine_gives_the_cosine_of_the_vectors(db_path):
    datasette = Datasette([str(db_path)])
    rng = np.random.default_rng(47)
    for _ in range(5):
        a, b = rng.normal(size=16).astype(np.float32), rng.normal(size=16).astype(np.float32)
        (row,) = await _rows(datasette, f"select llm_cosine(x'{a.tobytes().hex()}', x'{b.tobytes().hex()}')")
        assert row[0] == pytest.approx(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)), rel=1e-5)


@pytest.mark.asyncio
async def test_rank_bm25_ranks_as_sqlite_fts4_does(db_path):
    sqlite_fts4 = pytest.importorskip("sqlite_fts4")
    conn = sqlite3.connect(db_path)
    blobs = [row[0] for row in conn.execute(MATCHINFO)]
    conn.close()
    assert blobs
    datasette = Datasette([str(db_path)])
    for blob in blobs:
        (row,) = await _rows(datasette, f"select rank_bm25(x'{blob.hex()}')")
        assert row[0] == pytest.approx(sqlite_fts4.rank_bm25(blob))
