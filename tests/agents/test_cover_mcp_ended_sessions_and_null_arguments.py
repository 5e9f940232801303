"""Two MCP branches no test ran (branch coverage, an outside tester, session 60):

- The list of sessions ended with DELETE is bounded (`ENDED_SESSIONS_KEPT`): the server keeps no other session
  state, so a client that opens and ends sessions without end must not grow it without end (SECURITY.md: no request
  takes unbounded memory). Past the bound the oldest ended ids are forgotten, newest kept.
- `tools/call` with `"arguments": null` is a call without arguments, as MCP's schema allows: the tool answers as it
  does for `{}` (a tool error naming what is missing), never a JSON-RPC error.

Checked to fail on mutants: `while len(ended) > ENDED_SESSIONS_KEPT` made `if False` (the list grows to 8 and the
first test fails), and `arguments = {}` removed (the second test gets "tools/call arguments must be an object").
"""

import pytest
from agents_helpers import mcp_post
from route_helpers import items_datasette

from datasette_llm.agents.mcp import transport

VERSION = "2025-03-26"


async def _initialize(ds) -> str:
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    response = await mcp_post(ds, message, version=VERSION)
    assert response.status_code == 200, response.text[:300]
    return response.headers["mcp-session-id"]


@pytest.mark.asyncio
async def test_ended_sessions_are_kept_up_to_their_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(transport, "ENDED_SESSIONS_KEPT", 3)
    ds = items_datasette(tmp_path, rows=1)
    sessions = [await _initialize(ds) for _ in range(8)]
    for session in sessions:
        response = await ds.client.request("DELETE", "/-/mcp", headers={"Mcp-Session-Id": session})
        assert response.status_code == 204, response.text[:300]
        # an ended session is ended at once, whatever the bound
        again = await ds.client.request("DELETE", "/-/mcp", headers={"Mcp-Session-Id": session})
        assert again.status_code == 404, again.text[:300]
    ended = transport._ended(ds)
    assert len(ended) == 3
    assert list(ended) == sessions[-3:]  # the newest are kept, the oldest forgotten first


@pytest.mark.asyncio
async def test_null_arguments_are_no_arguments(tmp_path):
    ds = items_datasette(tmp_path, rows=1)
    answers = []
    for arguments in (None, {}):
        message = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "describe_table", "arguments": arguments},
        }
        response = await mcp_post(ds, message)
        assert response.status_code == 200, response.text[:300]
        body = response.json()
        assert "error" not in body, body
        assert body["result"]["isError"] is True, body  # no table named: the tool says what is missing
        answers.append(body["result"])
    assert answers[0] == answers[1]
