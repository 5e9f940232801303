"""Each MCP method is answered only in the protocol era that defines it, a request without MCP-Protocol-Version
is read as 2025-03-26, and a method that fails inside says "Internal error" and nothing of why.

The oracle is MCP's own text, not the plugin's code: `ping` is a request of the handshake revisions (2024-11-05 ..
2025-11-25) and 2026-07-28 has none, so there it is an unknown method (-32601); `server/discover` exists only in
2026-07-28. The Streamable HTTP transport (2025-06-18 on) says a server that receives no MCP-Protocol-Version
header "SHOULD assume protocol version 2025-03-26": that revision takes JSON-RPC batches (2025-06-18 removed them)
and has no `structuredContent` in tool results (added in 2025-06-18). JSON-RPC 2.0 gives -32603 for an internal
error; what went wrong inside is the server's log's business, not the client's. Found by mutation testing (an
outside tester, session 53): with `ping` answered in every era, `server/discover` in every era, the assumed
revision moved to 2025-06-18, or a traceback in the internal error's message, the suite passed.
"""

from __future__ import annotations

import json

import pytest
from agents_helpers import build_db, datasette_for, mcp_post

MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
METHOD_NOT_FOUND, INTERNAL_ERROR = -32601, -32603


@pytest.fixture
def ds(tmp_path):
    return datasette_for(build_db(tmp_path / "db.db", big=False))


async def modern(ds, method: str, request_id: int = 1):
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": {"_meta": META}}
    return await mcp_post(ds, message, MODERN, headers={"Mcp-Method": method})


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"])
async def test_ping_is_answered_and_discovery_is_unknown_in_the_handshake_era(ds, version):
    ping = await mcp_post(ds, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, version)
    assert ping.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}, ping.text[:200]
    discover = await mcp_post(ds, {"jsonrpc": "2.0", "id": 2, "method": "server/discover"}, version)
    assert discover.json()["error"]["code"] == METHOD_NOT_FOUND, discover.text[:200]
    assert discover.json()["id"] == 2 and "result" not in discover.json()


@pytest.mark.asyncio
async def test_discovery_is_answered_and_ping_is_unknown_in_2026_07_28(ds):
    discover = await modern(ds, "server/discover")
    assert discover.status_code == 200 and "result" in discover.json(), discover.text[:200]
    ping = await modern(ds, "ping", request_id=2)
    assert ping.json()["error"]["code"] == METHOD_NOT_FOUND, ping.text[:200]
    assert ping.json()["id"] == 2 and "result" not in ping.json()


async def without_version_header(ds, message):
    return await ds.client.post(
        "/-/mcp",
        content=json.dumps(message).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )


CALL = {
    "jsonrpc": "2.0",
    "id": 3,
    "method": "tools/call",
    "params": {"name": "query", "arguments": {"database": "db", "sql": "select name from users order by id"}},
}


@pytest.mark.asyncio
async def test_a_request_without_a_version_header_is_read_as_2025_03_26(ds):
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]
    answered = await without_version_header(ds, batch)
    assert answered.status_code == 200, answered.text[:200]
    assert sorted(item["id"] for item in answered.json()) == [1, 2]  # batches: 2025-03-26 takes them
    assert (await mcp_post(ds, batch, "2025-06-18")).status_code == 400  # (the revision that removed them)
    result = (await without_version_header(ds, CALL)).json()["result"]
    assert "simon" in result["content"][0]["text"] and "structuredContent" not in result, result
    newer = (await mcp_post(ds, CALL, "2025-06-18")).json()["result"]
    assert "structuredContent" in newer  # (the revision that added it)


@pytest.mark.asyncio
async def test_a_method_that_fails_inside_is_an_internal_error_that_tells_nothing(ds, monkeypatch, caplog):
    from datasette_llm.agents.mcp import dispatch

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail /var/lib/private/state.db")

    monkeypatch.setattr(dispatch, "list_tools", broken)
    response = await mcp_post(ds, {"jsonrpc": "2.0", "id": 5, "method": "tools/list"}, "2025-06-18")
    assert response.status_code == 200, response.text[:200]
    body = response.json()
    assert body == {"jsonrpc": "2.0", "id": 5, "error": {"code": INTERNAL_ERROR, "message": "Internal error"}}, body
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "secret detail" in caplog.text  # the server's log keeps what went wrong
    # the next request is served as usual
    ping = await mcp_post(ds, {"jsonrpc": "2.0", "id": 6, "method": "ping"}, "2025-06-18")
    assert ping.json()["result"] == {}
