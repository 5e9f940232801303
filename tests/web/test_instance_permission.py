"""The plugin's instance-wide surfaces answer 403 when the actor may not view the instance, as Datasette's `/`
does (an outside tester, session 26: they answered 200 with nothing in them); a database's own surfaces follow
Datasette's cascade (view-database, then view-instance) as before."""

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
    ("GET", "/-/mcp"),
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
