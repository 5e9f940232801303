"""Bad input everywhere: a 4xx with a JSON message, never a 500, never a hang."""

import asyncio
import json

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel
from datasette.app import Datasette

BIG = "x" * 100_000
INVALID_UTF8 = b'{"question": "caf\xc3\x28 \xff\xfe"}'


@pytest.fixture
def ds(tmp_path, monkeypatch):
    import datasette_llm.web.ask

    monkeypatch.setattr(datasette_llm.web.ask, "chat_model_for", lambda *a, **k: ScriptedModel([]))
    path = tmp_path / "db.db"
    sqlite_utils.Database(path)["items"].insert({"id": 1, "title": "hello"}, pk="id")
    return Datasette([str(path)])


def json_error(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    body = response.json()
    assert body["ok"] is False and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text
    return body


JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        b'{"question": ""}',
        b'{"question": "   \\n\\t "}',
        json.dumps({"question": BIG}).encode(),
        INVALID_UTF8,
        b"{not json",
        b"[]",
        b'{"question": 5}',
        b'{"question": "ok", "history": "nope"}',
        b'{"question": "ok", "history": [{"sql": 1}]}',
        b'{"question": "ok", "mode": "magic"}',
        b"",
        b'{"question": "\\u0000"}',
    ],
)
async def test_ask_json_bad_bodies(ds, body):
    response = await asyncio.wait_for(ds.client.post("/db/-/ask.json", content=body, headers=JSON_HEADERS), 10)
    json_error(response)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    [
        "/db/-/ask.json",
        "/db/-/ask.json?q=",
        "/db/-/ask.json?q=%20%20",
        f"/db/-/ask.json?q={'y' * 5000}",
        "/nope/-/ask.json?q=hi",
        "/db/-/ask.json?q=hi&table=nope",
        "/db/-/ask.json?q=hi&mode=magic",
        "/-/semantic-search",
        "/-/semantic-search?q=",
        "/-/semantic-search?q=hi&database=nope",
        "/-/semantic-search?q=hi&database=db&table=nope",
        "/-/semantic-search?q=hi&limit=0",
        "/-/semantic-search?q=hi&limit=abc",
        "/-/semantic-search?q=hi&limit=100000",
        "/-/semantic-search?q=hi&mode=x",
        "/-/llm/schema.json?database=nope",
        "/-/llm/schema.json?database=db&table=nope",
        "/-/llm/query.json",
        "/-/llm/query.json?database=db",
        "/-/llm/query.json?database=nope&sql=select+1",
        "/-/llm/query.json?database=db&sql=drop+table+items",
        "/-/llm/query.json?database=db&sql=select+1;select+2",
        f"/-/llm/query.json?database=db&sql=select+'{'z' * 20000}'",
    ],
)
async def test_get_surfaces_bad_parameters(ds, path):
    response = await asyncio.wait_for(ds.client.get(path), 10)
    json_error(response)


@pytest.mark.asyncio
async def test_unknown_database_lists_what_exists(ds):
    body = json_error(await ds.client.post("/nope/-/ask.json", json={"question": "hi"}))
    assert body["status"] == 404 and "db" in body["error"]


@pytest.mark.asyncio
async def test_mcp_bad_messages(ds):
    for body in (
        b"{",
        b"[]",
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "nope"}}',
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "query", "arguments": 5}}',
        INVALID_UTF8,
    ):
        response = await ds.client.post(
            "/-/mcp",
            content=body,
            headers={
                **JSON_HEADERS,
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-06-18",
            },
        )
        assert response.status_code < 500, (body, response.status_code, response.text[:200])
        assert "Traceback" not in response.text
