"""An MCP batch (2024-11-05 and 2025-03-26) holds at most 20 messages (SECURITY.md, docs/http-api.md: "4 MB and 20
messages per batch for MCP"): batches of 1 to 20 requests are each answered in full, one of 21 or more is a 400
Invalid Request and runs nothing.

Batches of every size around the limit, of requests and of requests mixed with notifications (a notification is a
message too); the oracle is the documented number and the JSON-RPC 2.0 specification (one response per request,
none per notification; -32600 for an invalid request).
"""

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for, mcp_post

DOCUMENTED_MAX = 20


@pytest.fixture
def ds(tmp_path):
    return datasette_for(build_db(tmp_path / "db.db", big=False), HIDE_SECRET)


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["2024-11-05", "2025-03-26"])
@pytest.mark.parametrize("notifications", [0, 1, 5])
async def test_batches_around_the_limit(ds, version, notifications):
    for size in (1, DOCUMENTED_MAX - 1, DOCUMENTED_MAX, DOCUMENTED_MAX + 1, DOCUMENTED_MAX + 2):
        if notifications >= size:
            continue
        requests = [{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(size - notifications)]
        notes = [{"jsonrpc": "2.0", "method": "notifications/initialized"} for _ in range(notifications)]
        response = await mcp_post(ds, requests + notes, version)
        if size <= DOCUMENTED_MAX:
            assert response.status_code == 200, (size, response.text[:200])
            answers = response.json()
            assert sorted(a["id"] for a in answers) == list(range(size - notifications)), size
            assert all(a["result"] == {} for a in answers)
        else:
            assert response.status_code == 400, (size, response.text[:200])
            data = response.json()
            assert isinstance(data, dict) and data["error"]["code"] == -32600 and data["id"] is None, data
