"""`initialize` answers with the server's `instructions` from protocol revision 2025-03-26 on (where MCP added the
field), and without them at 2024-11-05, which has no such field.

agents/mcp/dispatch.initialize: instructions tell a client's model to call list_tables first, to add a LIMIT and
never to invent rows; a client at 2025-03-26 (the revision assumed for requests without MCP-Protocol-Version) that
did not get them would query blind. The oracle is the MCP schema of each revision (InitializeResult.instructions,
"since 2025-03-26"). Found by mutation testing (an outside tester, session 53): with the threshold moved to
2025-06-18, the suite passed.
"""

import pytest
from agents_helpers import build_db, datasette_for, mcp_post


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("version", "has_instructions"),
    [("2024-11-05", False), ("2025-03-26", True), ("2025-06-18", True), ("2025-11-25", True)],
)
async def test_initialize_instructions_by_revision(tmp_path, version, has_instructions):
    ds = datasette_for(build_db(tmp_path / "db.db", big=False))
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    response = await mcp_post(ds, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}, version)
    assert response.status_code == 200, response.text[:200]
    result = response.json()["result"]
    assert result["protocolVersion"] == version
    assert ("instructions" in result) is has_instructions, result
    if has_instructions:
        assert "list_tables" in result["instructions"] and "LIMIT" in result["instructions"]
