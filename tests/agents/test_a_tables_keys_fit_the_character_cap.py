"""One table's description (`/-/llm/schema.json?table=`, MCP `describe_table`) fits `query_max_chars` whatever the
table: its `foreign_keys` and `primary_keys` lists were never cut, so a table of 1,500 columns that each reference
another table was described in ~110,000 characters against the default cap of 20,000 (outside tester 60a).
Oracle: the body's length against the cap; the counts against SQLite's own PRAGMAs."""

import json
import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette


def keyed_db(path, columns: int):
    conn = sqlite3.connect(path)
    conn.execute("create table other (id integer primary key)")
    linked = ", ".join(f"column_{i:04d}_{'w' * 20} integer references other(id)" for i in range(columns))
    conn.execute(f"create table linked (id integer primary key, {linked})")
    keys = [f"key_{i:04d}_{'k' * 30}" for i in range(columns)]
    conn.execute(f"create table keyed ({', '.join(keys)}, primary key ({', '.join(keys)}))")
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
@pytest.mark.parametrize("table", ["linked", "keyed"])
@pytest.mark.parametrize("cap", [1_500, 20_000])
async def test_a_table_of_many_keys_is_described_within_the_cap(tmp_path, table, cap):
    """schema.json table= and MCP describe_table fit query_max_chars, however many foreign or primary keys."""
    path = keyed_db(tmp_path / "db.db", 1_500)
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"query_max_chars": cap}}})
    response = await ds.client.get("/-/llm/schema.json", params={"database": "db", "table": table})
    assert response.status_code == 200
    assert len(response.text) <= cap, f"schema.json: {len(response.text):,} characters against a cap of {cap:,}"
    result = await mcp_tool(ds, "describe_table", {"table": table})
    text = result["content"][0]["text"]
    assert len(text) <= cap, f"describe_table: {len(text):,} characters against a cap of {cap:,}"
    assert json.loads(text)["truncated"] is True
