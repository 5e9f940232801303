"""A table dropped or renamed between the check that it exists and the read of its details answers exactly
what the same request answers once the change is done: a 404 naming the tables there are (not a 503 "schema
changed", which tells a client to retry a request that can never succeed). Oracle: the same request made
again after the change, and Datasette's own `/db/{table}.json` for it."""

from __future__ import annotations

import sqlite3

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for, mcp_tool

from datasette_llm.agents import schema_api

CHANGES = {
    "dropped": "drop table repos",
    "renamed": "alter table repos rename to repositories",
    "dropped with its view": "drop view popular; drop table repos",
}


def _change_after_the_first_check(monkeypatch, path, sql):
    original, done = schema_api.resolve_table, []

    async def resolve_then_change(*args, **kwargs):
        table = await original(*args, **kwargs)
        if not done:
            done.append(table)
            with sqlite3.connect(path) as conn:
                conn.executescript(sql)
        return table

    monkeypatch.setattr(schema_api, "resolve_table", resolve_then_change)
    return done


async def _describe_over_http(ds):
    response = await ds.client.get("/-/llm/schema.json", params={"database": "db", "table": "repos"})
    return response.status_code, response.json()


async def _describe_over_mcp(ds):
    return 200, await mcp_tool(ds, "describe_table", {"database": "db", "table": "repos"})


@pytest.mark.asyncio
@pytest.mark.parametrize("surface", [_describe_over_http, _describe_over_mcp], ids=["schema.json", "mcp"])
@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_table_gone_mid_describe_is_the_404_it_is_afterwards(tmp_path, monkeypatch, surface, change):
    path = build_db(tmp_path / "db.db", big=False)
    ds = datasette_for(path, HIDE_SECRET)
    assert (await surface(ds))[0] == 200  # described while it is there
    done = _change_after_the_first_check(monkeypatch, path, CHANGES[change])
    during = await surface(ds)
    assert done == ["repos"]  # the change did happen between the check and the read
    after = await surface(ds)
    assert during == after
    assert (await ds.client.get("/db/repos.json")).status_code == 404  # Datasette agrees it is gone
    status, body = after
    if surface is _describe_over_http:
        assert status == 404 and body["ok"] is False and "repos" in body["error"]
    else:
        assert body["isError"] is True and "repos" in body["content"][0]["text"]
