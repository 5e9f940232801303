"""Datasette's own CSRF layer refuses some JSON requests before the plugin sees them: on 0.65 one that carries the
`ds_csrftoken` cookie without its value in `x-csrftoken`, on 1.0 one whose Origin names another origin. Such a
refusal of a JSON request to the plugin's routes is the plugin's JSON error (a JSON-RPC error for MCP) that says
what to send, with Datasette's status (it was an HTML page: "Unknown content-type"; outside testers, session 49).
Forms keep Datasette's HTML page. Oracle: Datasette's own status for the same request, and the JSON spec."""

from __future__ import annotations

import json
import sqlite3

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

JSON_ROUTES = [
    ("/db/-/ask.json", {"question": "How many?"}),
    ("/db/-/ask.stream", {"question": "How many?"}),
    ("/-/llm/db/examples", {"question": "q", "sql": "select 1"}),
    ("/-/llm/db/feedback", {"question": "q", "verdict": "wrong"}),
    ("/-/mcp", {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
]


@pytest.fixture
def ds(tmp_path):
    with sqlite3.connect(tmp_path / "db.db") as conn:
        conn.execute("create table items (id integer primary key)")
    plugins = {"plugins": {"datasette-llm": {"allow_teach": True}}}
    return Datasette([str(tmp_path / "db.db")], **({"config": plugins} if DATASETTE_1 else {"metadata": plugins}))


def refused_request(ds) -> dict:
    """What Datasette's CSRF layer refuses on this version: the cookie without its token (0.65), another origin
    (1.0)."""
    if DATASETTE_1:
        return {"headers": {"Origin": "http://localhost:6274", "Sec-Fetch-Site": "same-site"}}
    return {"cookies": {"ds_csrftoken": ds.sign("t", "csrftoken")}}


@pytest.mark.asyncio
@pytest.mark.parametrize(("path", "body"), JSON_ROUTES)
async def test_a_json_request_datasette_refuses_gets_a_json_error(ds, path, body):
    refused = refused_request(ds)
    headers = {"Content-Type": "application/json", "Accept": "application/json", **refused.get("headers", {})}
    if path == "/-/mcp":
        headers["MCP-Protocol-Version"] = "2025-06-18"
    response = await ds.client.post(path, content=json.dumps(body), headers=headers, cookies=refused.get("cookies"))
    if path == "/-/mcp" and not DATASETTE_1:  # 0.65: MCP's JSON needs no token (the plugin waives it)
        assert response.status_code == 200 and response.json()["result"] == {}
        return
    assert response.status_code == 403, response.text[:200]
    assert response.headers["content-type"].startswith("application/json")
    data = json.loads(response.text)
    if path == "/-/mcp":
        assert data["jsonrpc"] == "2.0" and data["id"] is None and data["error"]["code"] == -32600
        reason = data["error"]["message"]
    else:
        assert data["ok"] is False and data["status"] == 403
        reason = data["error"]
    assert ("Origin" if DATASETTE_1 else "x-csrftoken") in reason
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.asyncio
async def test_a_form_datasette_refuses_keeps_its_page(ds):
    refused = refused_request(ds)
    response = await ds.client.post(
        "/-/llm/db/examples",
        data={"question": "q", "sql": "select 1"},
        headers=refused.get("headers", {}),
        cookies=refused.get("cookies"),
    )
    assert response.status_code == 403 and response.headers["content-type"].startswith("text/html")
