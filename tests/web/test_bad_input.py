"""Bad input everywhere: the exact 4xx with a JSON message, never a 500, never a hang.

400 for a malformed request, 404 for a missing database or table, 405 for a question sent with GET."""

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


def json_error(response, status):
    assert response.status_code == status, (response.status_code, response.text[:200])
    body = response.json()
    assert body["ok"] is False and isinstance(body["error"], str) and body["error"]
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body, status",
    [
        (b'{"question": ""}', 400),
        (b'{"question": "   \\n\\t "}', 400),
        (json.dumps({"question": BIG}).encode(), 400),
        (INVALID_UTF8, 400),
        (b"{not json", 400),
        (b"[]", 400),
        (b'{"question": 5}', 400),
        (b'{"question": "ok", "history": "nope"}', 400),
        (b'{"question": "ok", "history": [{"sql": 1}]}', 400),
        (b'{"question": "ok", "mode": "magic"}', 400),
        (b"", 400),
        (b'{"question": "\\u0000"}', 400),
        (b'{"question": "ok", "table": 5}', 400),
        (b'{"question": "ok", "table": "nope"}', 404),
    ],
)
async def test_ask_json_bad_bodies(ds, body, status):
    response = await asyncio.wait_for(ds.client.post("/db/-/ask.json", content=body, headers=JSON_HEADERS), 10)
    json_error(response, status)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path, status",
    [
        # Questions start a model run: GET is refused before any parameter is read, whatever they are.
        ("/db/-/ask.json", 405),
        ("/db/-/ask.json?q=", 405),
        ("/db/-/ask.json?q=%20%20", 405),
        (f"/db/-/ask.json?q={'y' * 5000}", 405),
        ("/nope/-/ask.json?q=hi", 405),
        ("/db/-/ask.json?q=hi&table=nope", 405),
        ("/db/-/ask.json?q=hi&mode=magic", 405),
        ("/-/semantic-search", 400),
        ("/-/semantic-search?q=", 400),
        ("/-/semantic-search?q=hi&database=nope", 404),
        ("/-/semantic-search?q=hi&database=db&table=nope", 404),
        ("/-/semantic-search?q=hi&limit=0", 400),
        ("/-/semantic-search?q=hi&limit=abc", 400),
        ("/-/semantic-search?q=hi&limit=100000", 400),
        ("/-/semantic-search?q=hi&mode=x", 400),
        ("/-/llm/schema.json?database=nope", 404),
        ("/-/llm/schema.json?database=db&table=nope", 404),
        ("/-/llm/query.json", 400),
        ("/-/llm/query.json?database=db", 400),
        ("/-/llm/query.json?database=nope&sql=select+1", 404),
        ("/-/llm/query.json?database=db&sql=drop+table+items", 400),
        ("/-/llm/query.json?database=db&sql=select+1;select+2", 400),
        (f"/-/llm/query.json?database=db&sql=select+'{'z' * 20000}'", 400),
    ],
)
async def test_get_surfaces_bad_parameters(ds, path, status):
    response = await asyncio.wait_for(ds.client.get(path), 10)
    json_error(response, status)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("GET", "/db/-/ask.json?q=hi", "POST"),
        ("GET", "/db/-/ask.stream?q=hi", "POST"),
        ("PUT", "/-/llm/query.json", "GET, HEAD, POST"),
        ("DELETE", "/-/llm/schema.json", "GET, HEAD"),
        ("POST", "/-/llm/openapi.json", "GET, HEAD"),
    ],
)
async def test_a_405_lists_the_allowed_methods(ds, method, path, allow):
    # RFC 9110 15.5.6: a 405 response must say which methods the route accepts, in Allow.
    response = await asyncio.wait_for(ds.client.request(method, path), 10)
    json_error(response, 405)
    assert response.headers.get("allow") == allow


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/nope/nope/nope/nope", "//-/ask", "/-/llm//examples.json", "/db/nope"])
async def test_a_wrong_url_is_a_404_page_not_a_500(ds, path):
    """Datasette's own 404 pages, in the environment the project installs: with rich 15 (which schemathesis
    brought in) Datasette's error handler raised on each of them, and every wrong URL was a 500."""
    response = await ds.client.get(path)
    assert response.status_code == 404, (path, response.status_code, response.text[:200])


@pytest.mark.asyncio
async def test_unknown_database_lists_what_exists(ds):
    body = json_error(await ds.client.post("/nope/-/ask.json", json={"question": "hi"}), 404)
    assert body["databases"] == ["db"] and "db" in body["error"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body, status, code",
    [
        # A body that is no JSON-RPC request at all: HTTP 400 with a JSON-RPC error and a null id.
        (b"{", 400, -32700),  # parse error
        (b"[]", 400, -32600),  # invalid request: protocol 2025-06-18 has no batches
        (INVALID_UTF8, 400, -32700),
        # A well-formed request with bad params: answered (HTTP 200) with a JSON-RPC error for its id.
        (b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "nope"}}', 200, -32602),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "query", "arguments": 5}}',
            200,
            -32602,
        ),
    ],
)
async def test_mcp_bad_messages(ds, body, status, code):
    response = await ds.client.post(
        "/-/mcp",
        content=body,
        headers={
            **JSON_HEADERS,
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-06-18",
        },
    )
    assert response.status_code == status, (body, response.status_code, response.text[:200])
    assert response.json()["error"]["code"] == code
    assert response.json()["id"] == (1 if status == 200 else None)
    assert "Traceback" not in response.text
