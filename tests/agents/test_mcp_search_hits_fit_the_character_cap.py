"""MCP `semantic_search` results are capped like the query API's rows (tools.py: "Every result that can carry rows
is capped by the same rule as the query API ... so an assistant connected over MCP cannot be flooded"): the hits
returned fit in `query_max_chars` characters (the first hit always shown, its row's last columns counted in
`columns_left_out` when it alone is too long), `truncated` says whether any were left
out, and when every hit fits, every hit comes back.

Generated over character caps from tiny to larger than every hit; keyword mode over an FTS5 table of an embedded
table (the tests' fake bag-of-words embedding model). The oracle for how many hits there are is SQLite's own FTS5
match on the same file.
"""

import json
import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette
from search_helpers import use_fake_model

ROWS = 30


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.fixture
def db_path(tmp_path, fake_model):
    import sqlite_utils

    from datasette_llm.embeddings import embed_table

    path = tmp_path / "docs.db"
    db = sqlite_utils.Database(path)
    db["docs"].insert_all(
        [
            {"id": i, "title": f"doc {i}", "body": f"lorem ipsum number {i} " + "filler words " * (i % 7 * 10)}
            for i in range(ROWS)
        ],
        pk="id",
    )
    db["docs"].enable_fts(["title", "body"], create_triggers=True)
    db.close()
    embed_table(path, "docs", model=fake_model)
    return path


async def search(ds, limit=100):
    arguments = {"q": "lorem", "database": "docs", "table": "docs", "mode": "keyword", "limit": limit}
    result = await mcp_tool(ds, "semantic_search", arguments)
    assert result["isError"] is False, result["content"][0]["text"][:500]
    return result["structuredContent"]


@pytest.mark.asyncio
async def test_hits_fit_the_cap(db_path):
    conn = sqlite3.connect(db_path)
    matching = conn.execute("select count(*) from docs_fts where docs_fts match 'lorem'").fetchone()[0]
    conn.close()
    assert matching == ROWS
    whole = await search(Datasette([str(db_path)]))
    assert len(whole["hits"]) == ROWS and whole["truncated"] is False
    sizes = [len(json.dumps(hit, ensure_ascii=False, default=str)) + 2 for hit in whole["hits"]]
    caps = sorted(
        {
            1,
            sizes[0] - 1,
            sizes[0],
            sum(sizes[:2]),
            sum(sizes[:5]) - 1,
            sum(sizes[:5]),
            sum(sizes) // 2,
            sum(sizes) - 1,
            sum(sizes),
            sum(sizes) + 1000,
        }
    )
    for cap in caps:
        ds = Datasette([str(db_path)], metadata={"plugins": {"datasette-llm": {"query_max_chars": cap}}})
        data = await search(ds)
        hits = data["hits"]
        assert hits, cap  # the first hit is always shown
        used = sum(len(json.dumps(hit, ensure_ascii=False, default=str)) + 2 for hit in hits)
        assert used <= cap or (len(hits) == 1 and not hits[0]["row"]), (cap, used, len(hits))
        assert data["truncated"] is (len(hits) < ROWS), (cap, len(hits), data.get("note"))
        first, whole_first = hits[0], whole["hits"][0]
        if sizes[0] > cap:  # a first hit too long alone: its row's last columns gave way, counted (session 59)
            shown = list(first["row"].items())
            assert shown == list(whole_first["row"].items())[: len(shown)], cap
            assert first["columns_left_out"] == len(whole_first["row"]) - len(shown), cap
            first = {**first, "row": whole_first["row"], "columns_left_out": 0}
        assert [first, *hits[1:]] == whole["hits"][: len(hits)], cap
        if used + (sizes[len(hits)] if len(hits) < ROWS else 0) <= cap:
            assert len(hits) == ROWS, (cap, len(hits))  # one more would have fitted: none may be left out


@pytest.mark.asyncio
@pytest.mark.parametrize("limit", ["5", "", 1.5, None, [], [5], {}, {"n": 5}, True, False, 0, -1, 101, 10**6])
async def test_a_limit_outside_the_tools_input_schema_is_an_error_result(db_path, limit):
    """The tool's inputSchema says `limit` is an integer from 1 to 100: anything else is an error result with a
    400, never an internal error, and never a search with some other limit."""
    ds = Datasette([str(db_path)])
    arguments = {"q": "lorem", "database": "docs", "table": "docs", "mode": "keyword", "limit": limit}
    result = await mcp_tool(ds, "semantic_search", arguments)  # a tool's error, not a JSON-RPC one such as -32603
    assert result["isError"] is True, (limit, result["content"][0]["text"][:300])
    assert result["structuredContent"]["status"] == 400, result["structuredContent"]


async def mcp_search(ds, arguments):
    return await mcp_tool(ds, "semantic_search", arguments)


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["semantic", "keyword", "hybrid", None])
async def test_mcp_search_finds_what_the_search_route_finds(db_path, mode):
    """The MCP tool passes its arguments on as they are (an outside tester's mutation run, session 48: a tool that
    always searched in hybrid mode went unnoticed). The oracle is the HTTP route `/-/semantic-search` with the same
    arguments (hybrid when none is given, as documented): the same hits in the same order, or both refusing."""
    ds = Datasette([str(db_path)])
    for q, limit in [("lorem filler", 5), ("number 7", 3), ("doc", 12)]:
        arguments = {"q": q, "database": "docs", "table": "docs", "limit": limit}
        if mode is not None:
            arguments["mode"] = mode
        result = await mcp_search(ds, arguments)
        query = "&".join(f"{key}={value}" for key, value in {**arguments, "mode": mode or "hybrid"}.items())
        route = await ds.client.get(f"/-/semantic-search?{query}".replace(" ", "+"))
        assert route.status_code == 200 and result["isError"] is False, (route.text, result)
        expected = [(hit["pk"], hit["score"]) for hit in route.json()["hits"]]
        assert expected, (q, mode)
        assert [(hit["pk"], hit["score"]) for hit in result["structuredContent"]["hits"]] == expected, (q, mode)
        assert route.json()["mode"] == result["structuredContent"]["mode"] == (mode or "hybrid")
