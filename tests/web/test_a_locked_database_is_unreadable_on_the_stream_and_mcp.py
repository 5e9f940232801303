"""A database that cannot be read right now (another program holds SQLite's exclusive lock) is told as what it is on
every surface that answers a question or describes tables: the stream's `error` event and MCP's tools carry the 503
`database_unreadable` of ask.json, never a 500 `internal_error` ("Something went wrong") nor JSON-RPC -32603
"Internal error", which tell a client the server is broken and is not to be retried.

SECURITY.md, Errors never quote what failed: "Every route of the plugin turns such a failure under it into a 503 of
the same kind (`web/responses.as_route`)". ask.json does (json_errors maps READ_FAILURES); stream_view's `except
Exception` and mcp/dispatch.call_tool's `except DatasetteLLMError` did not (an outside tester, session 60). The
lock is real: a second connection in rollback-journal mode runs BEGIN EXCLUSIVE.
"""

import json
import sqlite3

import pytest
from agents_helpers import mcp_tool
from ask_helpers import RecordingEmbedder, sql_reply, use_scripted_models
from route_helpers import items_datasette


def _locked(tmp_path):
    locker = sqlite3.connect(tmp_path / "db.db", isolation_level=None, timeout=0)
    locker.execute("pragma journal_mode=delete")
    locker.execute("begin exclusive")
    return locker


def _events(text: str) -> list[tuple[str, dict]]:
    events, name = [], None
    for line in text.splitlines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name:
            events.append((name, json.loads(line.split(":", 1)[1])))
    return events


@pytest.mark.asyncio
async def test_the_streams_error_event_is_the_503_ask_json_answers(tmp_path, monkeypatch):
    use_scripted_models(monkeypatch, RecordingEmbedder(), [sql_reply("select count(*) from items")] * 4)
    ds = items_datasette(tmp_path, rows=1)
    question = {"question": "How many items are there?"}
    assert (await ds.client.post("/db/-/ask.json", json=question)).status_code == 200  # before the lock
    locker = _locked(tmp_path)
    try:
        plain = await ds.client.post("/db/-/ask.json", json=question)
        assert plain.status_code == 503 and plain.json()["code"] == "database_unreadable", plain.text[:300]
        streamed = await ds.client.post("/db/-/ask.stream", json=question)
    finally:
        locker.execute("rollback")
        locker.close()
    name, data = _events(streamed.text)[-1]
    assert name == "error", streamed.text[:500]
    assert data["code"] == "database_unreadable" and data["status"] == 503, data
    assert data["error"] == plain.json()["error"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "tool, arguments",
    [
        ("list_tables", {"database": "db"}),
        ("describe_table", {"database": "db", "table": "items"}),
        ("ask", {"database": "db", "question": "How many items are there?"}),
    ],
)
async def test_mcp_tools_tell_an_unreadable_database_as_a_tool_error(tmp_path, monkeypatch, tool, arguments):
    use_scripted_models(monkeypatch, RecordingEmbedder(), [sql_reply("select count(*) from items")] * 4)
    ds = items_datasette(tmp_path, rows=1)
    before = await mcp_tool(ds, tool, arguments)
    assert not before.get("isError"), before
    locker = _locked(tmp_path)
    try:
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
        response = await ds.client.post("/-/mcp", json=message, headers={"MCP-Protocol-Version": "2025-06-18"})
    finally:
        locker.execute("rollback")
        locker.close()
    body = response.json()
    assert "error" not in body, body  # -32603 "Internal error" says the server is broken
    result = body["result"]
    assert result["isError"] is True, result
    told = json.loads(result["content"][0]["text"])
    assert told["code"] == "database_unreadable" and told["status"] == 503, told
