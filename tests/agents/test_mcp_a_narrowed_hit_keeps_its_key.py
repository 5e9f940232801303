"""MCP `semantic_search` narrows a first hit over `query_max_chars` by its row's last columns (session 59), and a hit
"shows its key and first columns": a table whose key is its last column lost the key first, while other columns
stayed (outside tester 60a). Oracle: the table's own key (PRAGMA table_info)."""

import json
import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette
from search_helpers import use_fake_model


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.asyncio
@pytest.mark.parametrize("cap", [1_000, 2_000])
async def test_a_narrowed_hit_keeps_its_key_while_it_keeps_any_column(tmp_path, fake_model, cap):
    """Every hit of MCP semantic_search shows its key column while it shows any other column."""
    from datasette_llm.embeddings import embed_table

    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (a text, b text, c text, id integer primary key)")
    conn.executemany(
        "insert into t values (?, ?, ?, ?)", [(f"lorem {r} " + "v" * 280, "w" * 280, "x" * 280, r) for r in range(1, 6)]
    )
    conn.commit()
    conn.close()
    embed_table(path, "t", sql="select id, a from t", model=fake_model)
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"query_max_chars": cap}}})
    result = await mcp_tool(ds, "semantic_search", {"q": "lorem", "limit": 5, "mode": "semantic"})
    hits = json.loads(result["content"][0]["text"])["hits"]
    assert hits
    for hit in hits:
        assert "id" in hit["row"] or not hit["row"], list(hit["row"])
