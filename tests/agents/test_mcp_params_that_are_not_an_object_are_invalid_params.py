"""An MCP request whose `params` is present but not an object (an array, a string, a number, true) is answered
with Invalid params, -32602, and the request's own id: never run as if it had sent no params.

MCP's schema gives every request's `params` as an object; JSON-RPC 2.0 section 5.1: -32602 "Invalid method
parameter(s)". agents/mcp/dispatch.handle_message refuses such params before any method runs. Run as if empty,
`tools/list` with `params: [1]` or `ping` with `params: "x"` would answer a result, and a client that sent
positional arguments would never learn they were ignored. `null` is the same as no params (allowed). The oracle
is the JSON-RPC specification; generated over methods x non-object values x the handshake revisions. Found by
mutation testing (an outside tester, session 53): with the check replaced by `params = {}`, the suite passed.
"""

import pytest
from agents_helpers import build_db, datasette_for, mcp_post

NOT_OBJECTS = [[], [1], ["list_tables"], "x", "", 0, 1, 2.5, True, False]
METHODS = ["ping", "tools/list", "tools/call"]


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", "2025-11-25"])
async def test_params_that_are_not_an_object(tmp_path, version):
    ds = datasette_for(build_db(tmp_path / "db.db", big=False))
    request_id = 0
    for method in METHODS:
        for params in NOT_OBJECTS:
            request_id += 1
            message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            response = await mcp_post(ds, message, version)
            assert response.status_code == 200, (message, response.status_code, response.text[:200])
            data = response.json()
            assert data["id"] == request_id and "result" not in data, (message, data)
            assert data["error"]["code"] == -32602, (message, data)
        # null params are no params: answered
        request_id += 1
        if method != "tools/call":
            ok = await mcp_post(ds, {"jsonrpc": "2.0", "id": request_id, "method": method, "params": None}, version)
            assert "result" in ok.json(), ok.text[:200]
