"""The JSON APIs (`/-/llm/query.json`, `/-/mcp`) take a JSON POST from a signed-in client without a CSRF token
(docs/http-api.md: "API clients send JSON"; a page on another site cannot send that content type), and forms still
need the token, whatever `base_url` the instance is served under, at the prefixed paths and at the plain ones
Datasette serves too. Oracle: the same request to the same Datasette served at `/` (base_url changes where things
live, not what they answer), over a family of base URLs."""

import json

import pytest
from datasette.app import Datasette
from datasette.utils import PrefixedUrlString
from examples_helpers import make_database

BASE_URLS = ["/", "/prefix/", "/a/b/", "/-/", "/llm/", "/-/llm/"]
MCP = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})


async def answers(ds, unprefixed=False):
    """What the APIs answer; `unprefixed`: at the paths without base_url, which Datasette serves too."""
    at = PrefixedUrlString if unprefixed else str
    cookies = {"ds_actor": ds.sign({"a": {"id": "someone"}}, "actor")}
    query = await ds.client.post(
        at("/-/llm/query.json"), json={"database": "db", "sql": "select count(*) from cats"}, cookies=cookies
    )
    mcp = await ds.client.post(
        at("/-/mcp"),
        content=MCP,
        cookies=cookies,
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    form = await ds.client.post(at("/-/llm/query.json"), data={"database": "db", "sql": "select 1"}, cookies=cookies)
    return {
        "query": (query.status_code, query.json().get("rows") if query.status_code == 200 else None),
        "mcp": mcp.status_code,
        "form": form.status_code,
    }


@pytest.mark.asyncio
async def test_json_apis_answer_alike_under_any_base_url(tmp_path):
    path = make_database(tmp_path / "db.db")
    at_root = await answers(Datasette([str(path)], secret="base-urls"))
    assert at_root["query"] == (200, [[2]]) and at_root["mcp"] == 200 and at_root["form"] == 403, at_root
    for base_url in BASE_URLS:
        ds = Datasette([str(path)], secret="base-urls", settings={"base_url": base_url})
        assert await answers(ds) == at_root, base_url
        # Datasette serves its own paths without the prefix too (its oracle): so do the plugin's APIs.
        # (A plain path that itself starts with base_url is read as a prefixed one: Datasette strips it.)
        plain = not any(p.startswith(base_url) for p in ("/-/llm/query.json", "/-/mcp", "/-/versions.json"))
        if plain and (await ds.client.get(PrefixedUrlString("/-/versions.json"))).status_code == 200:
            assert await answers(ds, unprefixed=True) == at_root, ("unprefixed", base_url)
