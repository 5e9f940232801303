"""Cells are clipped to 100,000 characters as they are fetched (SECURITY.md, "Read-only connection + bounds"):
a text or a blob of at most 100,000 comes back whole and unmarked, a longer one cut to 100,000 with its whole size.

A generated family of cells at and around the limit (texts and blobs of 99,990..100,010, random content) in a
table, read through `/-/llm/query.json` of a real Datasette with a character cap large enough that only the fetch
limit cuts; the oracle is SQLite's own values read from the file and base64. A blob of exactly 100,000 bytes
marked clipped (`len(value) >= limit`) was caught by no test but by a time-out (an outside tester's mutation run,
session 50: a time-out is no verdict)."""

import base64
import random
import sqlite3

import pytest
from agents_helpers import datasette_for

LIMIT = 100_000  # documented


@pytest.fixture
def db_path(tmp_path):
    rng = random.Random(51)
    path = tmp_path / "cells.db"
    conn = sqlite3.connect(path)
    conn.execute("create table cells (id integer primary key, value)")
    sizes = [LIMIT - 10, LIMIT - 1, LIMIT, LIMIT, LIMIT + 1, LIMIT + 10] + [
        rng.randint(LIMIT - 3, LIMIT + 3) for _ in range(4)
    ]
    rows = []
    for i, size in enumerate(sizes):
        if i % 2:
            rows.append((i, rng.randbytes(size)))
        else:
            rows.append((i, "".join(rng.choice("abcdé€𝄞") for _ in range(size))))
    rows.append((len(rows), rng.randbytes(LIMIT)))  # a blob of exactly the limit, whatever the draws
    rows.append((len(rows), "x" * LIMIT))
    conn.executemany("insert into cells values (?, ?)", rows)
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
async def test_cells_up_to_the_fetch_limit_are_whole_and_longer_ones_cut(db_path):
    ds = datasette_for(db_path, plugin_config={"query_max_chars": 1_000_000})
    conn = sqlite3.connect(db_path)
    at_limit = 0
    for row_id, value in conn.execute("select id, value from cells order by id").fetchall():
        response = await ds.client.get(
            "/-/llm/query.json", params={"database": "cells", "sql": f"select value from cells where id = {row_id}"}
        )
        assert response.status_code == 200, response.text
        data = response.json()
        (shown,) = data["rows"][0]
        if len(value) <= LIMIT:
            at_limit += len(value) == LIMIT
            if isinstance(value, bytes):
                assert shown == {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}, (
                    row_id,
                    len(value),
                )
            else:
                assert shown == value, (row_id, len(value))
            assert not data["truncated"] and not data.get("clipped"), (row_id, len(value), data.get("note"))
        elif isinstance(value, bytes):
            assert shown.get("clipped") is True and shown["bytes"] == len(value), (row_id, len(value))
            assert base64.b64decode(shown["encoded"]) == value[:LIMIT]
        else:
            assert shown.startswith(value[:LIMIT]) and shown != value and data["truncated"], (row_id, len(value))
    conn.close()
    assert at_limit >= 2
