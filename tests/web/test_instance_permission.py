"""The plugin's instance-wide surfaces answer 403 when the actor may not view the instance, as Datasette's `/`
does (an outside tester, session 26: they answered 200 with nothing in them); a database's own surfaces follow
Datasette's cascade (view-database, then view-instance) as before, and so do MCP's tools, which act per database:
an actor allowed one database but not the instance uses it through MCP as through the query API (a second
outside tester, session 26)."""

from __future__ import annotations

import sqlite3

import pytest
from datasette.app import Datasette

INSTANCE_WIDE = [
    ("GET", "/-/ask"),
    ("GET", "/-/semantic-search?q=dogs"),
    ("GET", "/.well-known/ai-plugin.json"),
    ("GET", "/-/llm/openapi.json"),
    ("GET", "/-/llm/openapi.yaml"),
    ("GET", "/-/llm/schema.json"),
]


@pytest.fixture
def datasette(tmp_path):
    path = tmp_path / "pets.db"
    conn = sqlite3.connect(path)
    conn.execute("create table dogs (id integer primary key, name text)")
    conn.commit()
    conn.close()
    return Datasette([str(path)], metadata={"allow": {"id": "root"}})


@pytest.mark.asyncio
@pytest.mark.parametrize("method, path", INSTANCE_WIDE)
async def test_instance_wide_surfaces_follow_view_instance(datasette, method, path):
    assert (await datasette.client.get("/")).status_code == 403  # Datasette's own answer
    anonymous = await datasette.client.request(method, path)
    assert anonymous.status_code == 403, (path, anonymous.text[:300])
    assert "Traceback" not in anonymous.text
    cookies = {"ds_actor": datasette.sign({"a": {"id": "root"}}, "actor")}
    root = await datasette.client.request(method, path, cookies=cookies)
    assert root.status_code != 403, (path, root.status_code, root.text[:300])


@pytest.mark.asyncio
async def test_the_logo_stays_public(datasette):
    assert (await datasette.client.get("/-/llm/logo.svg")).status_code == 200


@pytest.mark.asyncio
async def test_an_actor_allowed_one_database_uses_it_through_mcp(tmp_path):
    path = tmp_path / "pets.db"
    conn = sqlite3.connect(path)
    conn.execute("create table dogs (id integer primary key, name text)")
    conn.execute("insert into dogs values (1, 'Rex')")
    conn.commit()
    conn.close()
    datasette = Datasette(
        [str(path)], metadata={"allow": {"id": "root"}, "databases": {"pets": {"allow": {"id": "bob"}}}}
    )
    cookies = {"ds_actor": datasette.sign({"a": {"id": "bob"}}, "actor")}
    assert (await datasette.client.get("/", cookies=cookies)).status_code == 403
    assert (await datasette.client.get("/pets.json", cookies=cookies)).status_code == 200  # Datasette's cascade
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_tables", "arguments": {"database": "pets"}},
    }
    response = await datasette.client.post(
        "/-/mcp", json=call, cookies=cookies, headers={"Accept": "application/json, text/event-stream"}
    )
    assert response.status_code == 200, response.text
    assert "dogs" in response.text
