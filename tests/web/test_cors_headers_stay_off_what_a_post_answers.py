"""With `datasette --cors`, the plugin adds Datasette's CORS headers to what it answers a GET, and never to what it
answers a POST: the query API's POST, MCP and the teaching endpoints.

docs/http-api.md: "With datasette --cors, what the plugin answers a GET (JSON and the OpenAPI YAML, not its pages)
carries Datasette's CORS headers"; web/responses._cors: "A request another site's page sends that could start a
model run is a POST, refused as cross-site whatever these say". `Access-Control-Allow-Origin: *` on a POST's answer
lets any page that gets a POST through (a url-encoded form to the query API needs no preflight) read what it
returned, so the Origin check would be the only line left. The oracle is the same instance's GET of the same
endpoint, which does carry the header (tests/web/test_web_ask.py checks the GETs). Found by mutation testing (an
outside tester, session 53): POST added to the methods that get the headers, the suite passed.
"""

import json

import pytest
from datasette.app import Datasette
from route_helpers import items_datasette

MCP = {"content-type": "application/json", "accept": "application/json", "mcp-protocol-version": "2025-06-18"}


@pytest.mark.asyncio
async def test_post_answers_carry_no_cors_headers(tmp_path):
    items_datasette(tmp_path, rows=1)  # writes db.db with its `items` table
    ds = Datasette([str(tmp_path / "db.db")], cors=True)
    got = await ds.client.get("/-/llm/query.json", params={"sql": "select 1"})
    assert got.status_code == 200 and got.headers.get("access-control-allow-origin") == "*"
    posts = [
        ("/-/llm/query.json", {"json": {"sql": "select 1"}}, 200),
        ("/-/llm/query.json", {"data": {"sql": "select 1"}}, 200),
        ("/-/llm/query.json", {"json": {"sql": "select * from nope"}}, 400),
        ("/-/mcp", {"content": json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}), "headers": MCP}, 200),
        ("/db/-/ask.json", {"json": {"question": 5}}, 400),
    ]
    for path, kwargs, status in posts:
        response = await ds.client.post(path, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.text[:200])
        assert "access-control-allow-origin" not in response.headers, (path, dict(response.headers))
