"""The query API and MCP `query` take SQL of up to 10,000 characters (SECURITY.md, docs/http-api.md) and refuse
longer SQL with a 400; at the boundary the rows are SQLite's own answer for the same statement.

Statements of every length around the limit, padded three ways (a string literal, a comment, spaces inside the
statement), are sent as a client would; the oracle is the documented number and SQLite itself, not the plugin.
"""

import sqlite3

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for, mcp_tool

DOCUMENTED_LIMIT = 10_000  # SECURITY.md: "10,000 characters at most"


def padded(kind: str, length: int) -> str:
    if kind == "literal":
        head, tail = "select name, '", "' as pad from users order by id"
        return head + "x" * (length - len(head) - len(tail)) + tail
    if kind == "comment":
        head = "select name from users order by id -- "
        return head + "c" * (length - len(head))
    head, tail = "select name from", "users order by id"
    return head + " " * (length - len(head) - len(tail)) + tail


@pytest.fixture
def db_path(tmp_path):
    return build_db(tmp_path / "db.db", big=False)


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["literal", "comment", "spaces"])
async def test_sql_of_every_length_around_the_limit(db_path, kind):
    ds = datasette_for(db_path, HIDE_SECRET)
    conn = sqlite3.connect(db_path)
    for length in range(DOCUMENTED_LIMIT - 2, DOCUMENTED_LIMIT + 3):
        sql = padded(kind, length)
        assert len(sql) == length
        response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
        if length <= DOCUMENTED_LIMIT:
            assert response.status_code == 200, (length, response.text[:300])
            expected = [list(row) for row in conn.execute(sql)]
            assert response.json()["rows"] == expected, length
        else:
            assert response.status_code == 400, (length, response.text[:300])
            assert response.json()["ok"] is False
    conn.close()


@pytest.mark.asyncio
async def test_mcp_query_takes_the_same_lengths(db_path):
    ds = datasette_for(db_path, HIDE_SECRET)
    for length in (DOCUMENTED_LIMIT - 1, DOCUMENTED_LIMIT, DOCUMENTED_LIMIT + 1):
        sql = padded("comment", length)
        result = await mcp_tool(ds, "query", {"database": "db", "sql": sql})
        assert result["isError"] is (length > DOCUMENTED_LIMIT), (length, result["content"][0]["text"][:300])
