"""When not even one row fits `query_max_chars`, long cells are clipped to a limit the result names
(`clipped[column].limit`): a cell no longer than that limit (text in characters, a blob in its base64 characters)
comes back whole, one longer is cut, and a cut blob is still marked as a blob with its whole size.

A generated family of rows (a long text beside blobs and texts of every size around the limit) through
`/-/llm/query.json`; the oracle is SQLite's own values for the row, read directly from the file, and base64.
"""

import base64
import json
import sqlite3

import pytest
from agents_helpers import datasette_for

LONG = 5_000


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "cells.db"
    conn = sqlite3.connect(path)
    conn.execute("create table cells (id integer primary key, long text, b blob, t text)")
    rows = []
    for i, n in enumerate(range(369, 382)):  # base64 of 369..381 bytes: 492..508 characters
        rows.append((i, "L" * LONG, (bytes(range(256)) * 2)[:n], "t" * (n + 123)))
    conn.executemany("insert into cells values (?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
async def test_cells_within_the_named_limit_are_whole(db_path):
    ds = datasette_for(db_path, plugin_config={"query_max_chars": 2_500})
    conn = sqlite3.connect(db_path)
    checked = 0
    for (row_id,) in conn.execute("select id from cells order by id").fetchall():
        sql = f"select long, b, t from cells where id = {row_id}"
        long_text, blob, text = conn.execute(sql).fetchone()
        response = await ds.client.get("/-/llm/query.json", params={"database": "cells", "sql": sql})
        assert response.status_code == 200, response.text
        data = response.json()
        assert len(data["rows"]) == 1, data
        limit = data["clipped"]["long"]["limit"]  # the long text is always cut
        # no cell is longer than the 100,000 characters cut as they are fetched (SECURITY.md), and the one row is
        # shown: the notes are one per clipped column, nothing else
        assert max(len(long_text), len(blob), len(text)) < 100_000
        assert len(data["notes"]) == len(data["clipped"]), data["notes"]
        shown_long, shown_blob, shown_text = data["rows"][0]
        assert shown_long.startswith(long_text[:limit]) and len(shown_long) > limit
        encoded = base64.b64encode(blob).decode("ascii")
        if len(encoded) <= limit:
            assert shown_blob == {"$base64": True, "encoded": encoded}, (row_id, len(encoded), limit)
            checked += 1
        else:
            # still a blob as Datasette writes one ({"$base64": true, ...}), with its whole size
            assert shown_blob["$base64"] is True, shown_blob
            assert shown_blob.get("clipped") is True and shown_blob["bytes"] == len(blob), (len(encoded), limit)
        if len(text) <= limit:
            assert shown_text == text, (len(text), limit)
        else:
            assert shown_text.startswith(text[:limit]) and shown_text != text
    conn.close()
    assert checked  # some blobs were within the limit, at it included


@pytest.mark.asyncio
async def test_cells_are_clipped_no_harder_than_needed(tmp_path):
    """The limit a result names is never less than half of one the row would have fitted at: clipped at twice the
    named limit, plus one for a halving that rounded down (when that is still under the first limit, 500), the row
    would not fit `query_max_chars` (clipping at a higher limit only makes the row longer)."""
    path = tmp_path / "one.db"
    conn = sqlite3.connect(path)
    conn.execute("create table one (id integer primary key, a text, b text)")
    conn.execute("insert into one values (1, ?, ?)", ("a" * LONG, "b" * LONG))
    conn.commit()
    row = list(conn.execute("select id, a, b from one").fetchone())
    conn.close()
    marker = "…[clipped]"  # the marker the notes name

    def fits_at(limit, max_chars):
        cut = [v[:limit] + marker if isinstance(v, str) and len(v) > limit else v for v in row]
        return len(json.dumps([cut], ensure_ascii=False)) <= max_chars

    seen = set()
    for max_chars in range(120, 1_200, 23):
        ds = datasette_for(path, plugin_config={"query_max_chars": max_chars})
        response = await ds.client.get(
            "/-/llm/query.json", params={"database": "one", "sql": "select id, a, b from one"}
        )
        data = response.json()
        assert response.status_code == 200, response.text
        if not data["rows"]:
            continue
        limit = data["clipped"]["a"]["limit"]
        seen.add(limit)
        assert marker in data["notes"][0] or any(marker in note for note in data["notes"])
        assert fits_at(limit, max_chars), (max_chars, limit)
        if 2 * limit + 1 <= 500:
            assert not fits_at(2 * limit + 1, max_chars), (max_chars, limit)
    assert len(seen) >= 3, seen
