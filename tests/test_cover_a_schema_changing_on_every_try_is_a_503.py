"""A schema that changes during every one of the three tries to decide what an actor may see is a 503
`schema_changed` with Retry-After on every surface that reads it, never a 500, a listing decided on a schema that
changed under it, or an empty one (SECURITY.md: "a schema that changes during every one of three tries is a 503
`schema_changed`"). Branch coverage (an outside tester, session 60) found no test reached the end of the tries in
permissions/tables.visible_snapshot; from outside a writer creating and dropping a table in a loop reached it (117
of 490 requests answered 503 schema_changed, none a 500). Here the change is made between the two reads of the
schema version on every try, deterministically.

Checked to fail on a mutant: `raise SchemaChanged(database)` at the end of visible_snapshot replaced by
`return VisibleTables((), frozenset(), before)` (schema.json then answers 200 with no tables).
"""

import sqlite3

import pytest
from agents_helpers import mcp_post
from route_helpers import items_datasette

from datasette_llm.permissions import tables


@pytest.mark.asyncio
async def test_a_schema_changing_on_every_try_is_a_503(tmp_path, monkeypatch):
    ds = items_datasette(tmp_path, rows=1)
    assert (await ds.client.get("/-/llm/schema.json", params={"database": "db"})).status_code == 200
    original, changes = tables.viewable_tables, []

    async def viewable_then_change(*args, **kwargs):
        kept = await original(*args, **kwargs)
        with sqlite3.connect(tmp_path / "db.db") as writer:  # between the version read and its check
            writer.execute(f"create table churn_{len(changes)} (x)")
        changes.append(1)
        return kept

    monkeypatch.setattr(tables, "viewable_tables", viewable_then_change)
    response = await ds.client.get("/-/llm/schema.json", params={"database": "db"})
    assert response.status_code == 503, response.text[:300]
    body = response.json()
    assert body["code"] == "schema_changed" and int(response.headers["retry-after"]) >= 1, body
    assert len(changes) == tables.TRIES  # every try was spoilt, and no more were made
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_tables", "arguments": {"database": "db"}},
    }
    mcp = (await mcp_post(ds, message)).json()
    assert "error" not in mcp and mcp["result"]["isError"] is True, mcp
    assert '"schema_changed"' in mcp["result"]["content"][0]["text"]
    monkeypatch.setattr(tables, "viewable_tables", original)
    after = await ds.client.get("/-/llm/schema.json", params={"database": "db"})
    assert after.status_code == 200  # a schema at rest is read again
