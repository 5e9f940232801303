"""Every request to /-/mcp the plugin refuses before reading it as JSON-RPC (a form sent with cookies but no word of
where it comes from, on Datasette 1.0; a multipart body; a body over the cap) is answered as a JSON-RPC 2.0 error
with code -32600, "Invalid Request" (JSON-RPC 2.0 specification, section 5.1: the oracle), with a 4xx status."""

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import make_database


def refusals():
    yield (
        "multipart",
        {"content": b"--x\r\n\r\n--x--\r\n", "headers": {"content-type": "multipart/form-data; boundary=x"}},
    )
    yield (
        "too large",
        {"content": b"{" + b" " * (5 * 1024 * 1024) + b"}", "headers": {"content-type": "application/json"}},
    )
    if DATASETTE_1:
        for fields in ({"x": "1"}, {"jsonrpc": "2.0", "method": "ping"}, {}):
            yield f"form {fields}", {"data": fields or {"": ""}, "cookies": {"ds_actor": "x"}}


@pytest.mark.asyncio
async def test_refusals_are_invalid_requests(tmp_path):
    ds = Datasette([str(make_database(tmp_path / "db.db"))])
    for name, kwargs in refusals():
        response = await ds.client.post("/-/mcp", **kwargs)
        assert 400 <= response.status_code < 500, (name, response.status_code)
        body = response.json()
        assert body["jsonrpc"] == "2.0" and body["id"] is None, (name, body)
        assert body["error"]["code"] == -32600 and body["error"]["message"], (name, body)
