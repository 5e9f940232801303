"""Malformed JSON-RPC messages to `/-/mcp` get the error objects the JSON-RPC 2.0 specification gives them, never
a 500 or an "Internal error":

- a message with no `id` whose `method` is not a string (the spec's own example `{"jsonrpc": "2.0", "method": 1,
  "params": "bar"}`) is an Invalid Request, -32600, with `id: null`;
- `tools/call` whose `name` is not a string (a number, a list, an object, true, missing) is Invalid params, -32602,
  with the request's id.

Generated families of such messages, in the handshake era (each alone and in a 2025-03-26 batch); the oracle is the
JSON-RPC 2.0 specification (https://www.jsonrpc.org/specification, "Error object" and "Examples").
"""

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for, mcp_post

NOT_STRINGS = [1, 0, -5, 2.5, True, False, None, [], ["list_tables"], {}, {"name": "query"}]
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


@pytest.fixture
def ds(tmp_path):
    return datasette_for(build_db(tmp_path / "db.db", big=False), HIDE_SECRET)


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", "2025-11-25"])
async def test_a_message_without_id_whose_method_is_not_a_string(ds, version):
    for method in NOT_STRINGS:
        for extra in ({}, {"params": "bar"}, {"params": {}}):
            message = {"jsonrpc": "2.0", "method": method, **extra}
            if method is None:
                del message["method"]  # no method at all
            response = await mcp_post(ds, message, version)
            assert response.status_code < 500, (message, response.status_code, response.text[:200])
            data = response.json()
            assert data.get("jsonrpc") == "2.0" and data.get("id") is None, (message, data)
            assert data["error"]["code"] == INVALID_REQUEST, (message, data)


@pytest.mark.asyncio
async def test_such_messages_in_a_batch(ds):
    batch = [{"jsonrpc": "2.0", "method": method} for method in NOT_STRINGS if method is not None]
    batch.append({"jsonrpc": "2.0", "id": 7, "method": "ping"})
    response = await mcp_post(ds, batch, "2025-03-26")
    assert response.status_code == 200, response.text[:300]
    answers = response.json()
    errors = [a for a in answers if "error" in a]
    assert len(errors) == len(batch) - 1
    assert all(a["error"]["code"] == INVALID_REQUEST and a["id"] is None for a in errors), errors
    assert {"jsonrpc": "2.0", "id": 7, "result": {}} in answers


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18"])
async def test_tools_call_whose_name_is_not_a_string(ds, version):
    for request_id, name in enumerate(NOT_STRINGS):
        params = {"arguments": {}} if name is None else {"name": name, "arguments": {}}
        message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
        response = await mcp_post(ds, message, version)
        assert response.status_code == 200, (name, response.status_code, response.text[:200])
        data = response.json()
        assert data["id"] == request_id and data["error"]["code"] == INVALID_PARAMS, (name, data)


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18"])
async def test_a_request_whose_method_is_not_a_string(ds, version):
    """With an id, a method that is not a string is an Invalid Request too (not "Method not found"), answered
    with the request's id."""
    for request_id, method in enumerate(NOT_STRINGS):
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        response = await mcp_post(ds, message, version)
        assert response.status_code < 500, (message, response.text[:200])
        data = response.json()
        assert data["id"] == request_id and data["error"]["code"] == INVALID_REQUEST, (message, data)


@pytest.mark.asyncio
@pytest.mark.parametrize("jsonrpc", ["1.0", "2", 2.0, None, ""])
async def test_the_id_of_a_message_that_is_not_json_rpc_2(ds, jsonrpc):
    """The spec: the response's id is the request's id, or null when it could not be detected; a value that is no
    valid id (MCP: a string or an integer) is never echoed."""
    for request_id in ["a", "", 0, 7, -3, True, False, [], [1], {}, {"id": 1}, 1.5]:
        message = {"jsonrpc": jsonrpc, "id": request_id, "method": "ping"}
        response = await mcp_post(ds, message, "2025-06-18")
        assert response.status_code == 400, (message, response.text[:200])
        data = response.json()
        assert data["error"]["code"] == INVALID_REQUEST, data
        valid = isinstance(request_id, (str, int)) and not isinstance(request_id, bool)
        assert data["id"] == (request_id if valid else None), (message, data)


@pytest.mark.asyncio
async def test_the_2026_revision_answers_an_invalid_request_with_its_id(ds):
    """At 2026-07-28 too, a request that is not JSON-RPC 2.0 (or whose method is not a string) is answered with
    its id when it is a valid one, as the earlier revisions answer it (it was null: an outside tester, session
    49)."""
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    for request_id in ["a", "", 0, 7, -3, True, [], {"id": 1}, 1.5]:
        for message in (
            {"jsonrpc": "1.0", "id": request_id, "method": "tools/list", "params": {"_meta": meta}},
            {"jsonrpc": "2.0", "id": request_id, "method": 5, "params": {"_meta": meta}},
        ):
            response = await mcp_post(ds, message, "2026-07-28", headers={"Mcp-Method": str(message["method"])})
            assert response.status_code == 400, (message, response.text[:200])
            data = response.json()
            valid = isinstance(request_id, (str, int)) and not isinstance(request_id, bool)
            assert data["error"]["code"] == INVALID_REQUEST and data["id"] == (request_id if valid else None), data
