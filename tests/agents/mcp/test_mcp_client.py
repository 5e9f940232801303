"""The MCP endpoint through the official `mcp` SDK client, against `datasette serve` on 127.0.0.1.

Covers both protocol eras the SDK speaks (the initialize handshake and 2026-07-28's server/discover), every
tool, permissions (a hidden table, an actor without execute-sql) and one real Ask with the default model.
"""

import contextlib
import json

import httpx
import pytest
from agents_helpers import BIG_ROWS, bearer, build_db, served
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types.version import LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION

from datasette_llm.embeddings import embed_table

# Anyone signed in may run SQL; anonymous may not. Only admin sees `secret`.
METADATA = {"databases": {"db": {"allow_sql": {"id": "*"}, "tables": {"secret": {"allow": {"id": "admin"}}}}}}
READER = bearer("reader")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("mcp_client")
    path = build_db(tmp_path / "db.db")
    embed_table(str(path), "repos", columns=["name", "readme"])  # the real default embedding model
    with served(tmp_path, path, METADATA) as base:
        yield base


def data_of(result) -> dict:
    """structuredContent, checked against the JSON text content the older revisions rely on."""
    text = json.loads(result.content[0].text)
    if result.structured_content is not None:
        assert result.structured_content == text
    return text


async def open_session(stack, url, headers=None):
    http_client = await stack.enter_async_context(create_mcp_http_client(headers=headers))
    read, write = await stack.enter_async_context(streamable_http_client(url, http_client=http_client))
    return await stack.enter_async_context(ClientSession(read, write))


@pytest.mark.asyncio
async def test_handshake_and_every_tool(server):
    async with contextlib.AsyncExitStack() as stack:
        session = await open_session(stack, server + "/-/mcp", READER)
        initialized = await session.initialize()
        assert initialized.protocol_version == LATEST_HANDSHAKE_VERSION
        assert initialized.capabilities.tools is not None
        await session.send_ping()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert set(tools) == {"list_tables", "describe_table", "query", "ask", "semantic_search"}
        assert tools["query"].annotations.read_only_hint is True

        listed = data_of(await session.call_tool("list_tables", {}))
        (db,) = listed["databases"]
        assert {t["name"] for t in db["tables"]} == {"users", "repos", "docs", "popular"}

        described = data_of(await session.call_tool("describe_table", {"table": "repos"}))
        assert described["foreign_keys"] == [{"column": "owner", "other_table": "users", "other_column": "id"}]

        capped = await session.call_tool("query", {"sql": "select * from docs"})
        assert capped.is_error is False
        data = data_of(capped)
        assert data["truncated"] is True and data["row_count"] < BIG_ROWS and data["chars"] <= 20_000
        assert "clipped to 500 characters" in data["note"]

        rejected = await session.call_tool("query", {"sql": "drop table users"})
        assert rejected.is_error is True and data_of(rejected)["rejection"]["kind"] == "not_select"

        found = await session.call_tool("semantic_search", {"q": "multi-tool for exploring data", "limit": 2})
        assert found.is_error is False, found.content[0].text
        hits = data_of(found)["hits"]
        assert hits and hits[0]["table"] == "repos" and hits[0]["row"]["name"] == "datasette"


@pytest.mark.asyncio
async def test_modern_revision_through_discover(server):
    async with contextlib.AsyncExitStack() as stack:
        session = await open_session(stack, server + "/-/mcp", READER)
        discovered = await session.discover()
        assert LATEST_MODERN_VERSION in discovered.supported_versions
        tools = (await session.list_tools()).tools
        assert len(tools) == 5
        result = await session.call_tool("query", {"sql": "select name from users order by id"})
        assert data_of(result)["rows"] == [["simon"], ["natalie"]]


@pytest.mark.asyncio
async def test_permissions_over_mcp(server):
    async with contextlib.AsyncExitStack() as stack:
        reader = await open_session(stack, server + "/-/mcp", READER)
        await reader.initialize()
        assert "secret" not in json.dumps(data_of(await reader.call_tool("list_tables", {"database": "db"})))
        hidden = await reader.call_tool("describe_table", {"database": "db", "table": "secret"})
        assert hidden.is_error is True and "secret" not in data_of(hidden)["tables"]
        queried = await reader.call_tool("query", {"database": "db", "sql": "select code from secret"})
        assert queried.is_error is True and data_of(queried)["kind"] == "unknown_table"
        assert "hunter2" not in queried.content[0].text

        admin = await open_session(stack, server + "/-/mcp", bearer("admin"))
        await admin.initialize()
        secret = await admin.call_tool("query", {"database": "db", "sql": "select code from secret"})
        assert data_of(secret)["rows"] == [["hunter2"]]

        anonymous = await open_session(stack, server + "/-/mcp")
        await anonymous.initialize()
        denied = await anonymous.call_tool("query", {"database": "db", "sql": "select 1"})
        assert denied.is_error is True and data_of(denied)["status"] == 403
    # The same rule on the HTTP query API.
    async with httpx.AsyncClient() as client:
        params = {"database": "db", "sql": "select 1"}
        assert (await client.get(server + "/-/llm/query.json", params=params)).status_code == 403
        assert (await client.get(server + "/-/llm/query.json", params=params, headers=READER)).status_code == 200


@pytest.mark.asyncio
async def test_http_details_on_a_real_server(server):
    url = server + "/-/mcp"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 405
        rebinding = await client.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Origin": "http://attacker.example:8001", "Host": "attacker.example:8001"},
        )
        assert rebinding.status_code == 403
        init = await client.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "curl", "version": "1"},
                },
            },
            headers={"Accept": "application/json, text/event-stream"},
        )
        assert init.status_code == 200 and init.headers["content-type"].startswith("application/json")
        # A JSON POST needs no CSRF token even with cookies; a form-encoded one still does.
        client.cookies.set("ds_actor", "x")
        ping = await client.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "ping"})
        assert ping.status_code == 200
        form = await client.post(url, data={"x": "1"})
        assert form.status_code == 403


@pytest.mark.model
@pytest.mark.asyncio
async def test_ask_tool_with_the_default_model(server):
    async with contextlib.AsyncExitStack() as stack:
        session = await open_session(stack, server + "/-/mcp", READER)
        await session.initialize()
        result = await session.call_tool("ask", {"database": "db", "question": "How many users are there?"})
        data = data_of(result)
        assert result.is_error is False, data
        assert data["sql"] and "users" in data["sql"].lower()
        assert data["rows"] == [[2]] and "rows_note" in data
        assert "2" in (data["answer"] or "")
