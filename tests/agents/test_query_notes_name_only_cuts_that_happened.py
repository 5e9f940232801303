"""The query API's `notes` name only what was cut: a result SQLite returns whole (every row it has, at most the
row cap, within the character cap) has no notes at all, and a result cut by characters that still shows rows
never says "not even one row fits".

A family of statements with 0 to all rows, through `/-/llm/query.json` and MCP `query`; the oracle is SQLite's
own answer for each statement, run directly on the file.
"""

import json
import sqlite3

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for, mcp_tool

STATEMENTS = [
    *(f"select id, name from users where id <= {k} order by id" for k in range(0, 4)),
    *(f"select name, stars from repos order by id limit {k}" for k in range(0, 4)),
    "select count(*) from repos",
    "select name from repos where stars > 1000000",
    "select title from docs order by id",
    "select u.name, r.name from users u join repos r on r.owner = u.id order by r.id",
]


@pytest.fixture
def db_path(tmp_path):
    return build_db(tmp_path / "db.db", big=False)


async def mcp_query(ds, sql):
    return (await mcp_tool(ds, "query", {"database": "db", "sql": sql}))["structuredContent"]


@pytest.mark.asyncio
async def test_a_whole_result_has_no_notes(db_path):
    ds = datasette_for(db_path, HIDE_SECRET)
    conn = sqlite3.connect(db_path)
    for sql in STATEMENTS:
        expected = [list(row) for row in conn.execute(sql)]
        response = await ds.client.get("/-/llm/query.json", params={"database": "db", "sql": sql})
        assert response.status_code == 200, response.text
        for data in (response.json(), await mcp_query(ds, sql)):
            assert data["rows"] == expected, sql
            assert data["truncated"] is False, sql
            assert data["notes"] == [], (sql, data["notes"])
    conn.close()


@pytest.mark.asyncio
async def test_a_result_cut_by_characters_that_shows_rows_says_so(db_path):
    conn = sqlite3.connect(db_path)
    rows = [list(row) for row in conn.execute("select id, title, body from docs order by id")]
    conn.close()
    for keep in (1, 2):
        # a character cap that holds exactly `keep` of SQLite's rows (the JSON array of them)
        max_chars = len(json.dumps(rows[:keep], ensure_ascii=False)) + 1
        ds = datasette_for(db_path, HIDE_SECRET, plugin_config={"query_max_chars": max_chars})
        response = await ds.client.get(
            "/-/llm/query.json", params={"database": "db", "sql": "select id, title, body from docs order by id"}
        )
        data = response.json()
        assert response.status_code == 200, response.text
        assert data["rows"] == rows[:keep]
        assert data["truncated"] is True
        assert not any("not even one row" in note for note in data["notes"]), data["notes"]
