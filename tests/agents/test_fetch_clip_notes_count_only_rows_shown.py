"""The query API's note on cells cut as they were fetched counts only cells of the rows it returns.

run_select reads one row past the row cap, to know that a result was cut, and counted the cells it cut in that row
too: a table of 100 short rows and a 101st of 150,000 characters returned its 100 rows whole with the note "1 cell
longer than 100,000 characters or bytes cut as they were read" (an outside tester, session 53; their differential
run met it by itself, a UNION's note said 12 where the rows returned held 11). Rows the character cap leaves out
were counted the same way. The oracle is SQLite's own rows, read directly from the file: a note says a cell was cut
exactly when a returned cell differs from SQLite's.
"""

import json
import sqlite3

import pytest
from agents_helpers import datasette_for, mcp_tool

LONG = 150_000  # over the fetch's cell cap (100,000)


def build(path, long_rows):
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key, v text)")
    conn.executemany(
        "insert into t values (?, ?)", [(i, ("x" * LONG) if i in long_rows else f"short {i}") for i in range(1, 102)]
    )
    conn.commit()
    conn.close()


def sqlite_rows(path, sql):
    conn = sqlite3.connect(path)
    try:
        return [list(row) for row in conn.execute(sql)]
    finally:
        conn.close()


def cut_notes(data):
    return [note for note in data["notes"] if "cut as they were read" in note]


async def both(ds, sql):
    response = await ds.client.get("/-/llm/query.json", params={"database": "db", "sql": sql})
    assert response.status_code == 200, response.text[:300]
    mcp = (await mcp_tool(ds, "query", {"database": "db", "sql": sql}))["structuredContent"]
    return [response.json(), mcp]


@pytest.mark.asyncio
@pytest.mark.parametrize("long_rows", [{101}, {100}, {100, 101}, {1, 101}])
async def test_the_row_read_past_the_cap_is_not_counted(tmp_path, long_rows):
    path = tmp_path / "db.db"
    build(path, long_rows)
    sql = "select id, v from t order by id"
    expected = sqlite_rows(path, sql)[:100]
    ds = datasette_for(path, plugin_config={"query_max_rows": 100, "query_max_chars": 10_000_000})
    for data in await both(ds, sql):
        assert [row[0] for row in data["rows"]] == list(range(1, 101))
        cut = sum(row[1] != want[1] for row, want in zip(data["rows"], expected))
        assert cut == len(long_rows & set(range(1, 101))), data["notes"]
        notes = cut_notes(data)
        if cut:
            assert len(notes) == 1 and notes[0].startswith(f"{cut} cell "), notes
        else:
            assert notes == [], notes


@pytest.mark.asyncio
async def test_rows_the_character_cap_leaves_out_are_not_counted(tmp_path):
    """Row 2 is cut as it is fetched; a character cap that shows only row 1 says nothing of cut cells, one that
    shows both says 1 cell."""
    path = tmp_path / "db.db"
    build(path, {2})
    sql = "select id, v from t where id <= 2 order by id"
    first = sqlite_rows(path, sql)[:1]
    for max_chars, shown, notes in ((len(json.dumps(first)) + 1, 1, 0), (10_000_000, 2, 1)):
        ds = datasette_for(path, plugin_config={"query_max_chars": max_chars})
        for data in await both(ds, sql):
            assert [row[0] for row in data["rows"]] == [1, 2][:shown]
            assert data["rows"][0] == first[0]
            assert len(cut_notes(data)) == notes, data["notes"]
