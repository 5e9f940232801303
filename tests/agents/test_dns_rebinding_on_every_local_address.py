"""DNS rebinding: a page on evil.example whose name was pointed at this server calls it as its own site. Whatever
address the server listens on that is not global (IANA's special-purpose registry, as Python's `is_global`
reads it: loopback, private, link-local, carrier NAT 100.64.0.0/10 where Tailscale nodes live, benchmarking
198.18.0.0/15 ...) or a Unix socket (`datasette --uds`), such a page's MCP tool call and query API request, POST
with its Origin or GET without one (a browser sends none with a plain-HTTP page's GET of its own site), never
run. On a global address they are the server's own pages and run; clients that send no Origin and name the
server by localhost or an IP address run everywhere (outside testers, session 49: 100.64.x.y, a Unix socket and
the query API's GET ran the rebound page's SQL)."""

from __future__ import annotations

import ipaddress
import json
import random

import httpx
import pytest
from agents_helpers import HIDE_SECRET, MCP_VERSION, build_db, datasette_for

SQL = "select name from users order by id"


def addresses() -> list[str]:
    rng = random.Random(49)
    blocks = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"]
    blocks += ["198.18.0.0/15", "192.0.0.0/24", "fc00::/7", "fe80::/10", "93.184.216.0/24", "8.8.8.0/24"]
    found = ["::1", "2606:4700::1111"]
    for block in map(ipaddress.ip_network, blocks):
        found += [str(block[rng.randrange(1, block.num_addresses - 1)]) for _ in range(2)]
    return found + ["/tmp/datasette.sock"]  # uvicorn's scope["server"] for `--uds`: the socket's path


def is_local(address: str) -> bool:
    """The oracle: Python's reading of the IANA registry; a path is reached only from this machine."""
    try:
        return not ipaddress.ip_address(address).is_global
    except ValueError:
        return True


def serving_at(ds, address: str):
    app = ds.app()

    async def at_address(scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "server": (address, None if address.startswith("/") else 8001)}
        await app(scope, receive, send)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=at_address), base_url="http://server")


async def mcp_query(client, host: str, origin: str | None):
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "query", "arguments": {}}}
    message["params"]["arguments"] = {"database": "db", "sql": SQL}
    headers = {"Host": host, "Content-Type": "application/json", "Accept": "application/json"}
    headers |= {"MCP-Protocol-Version": MCP_VERSION} | ({"Origin": origin} if origin else {})
    response = await client.post("/-/mcp", content=json.dumps(message), headers=headers)
    return response.status_code == 200 and response.json()["result"]["isError"] is False


async def api_post(client, host: str, origin: str | None):
    headers = {"Host": host} | ({"Origin": origin} if origin else {})
    response = await client.post("/-/llm/query.json", json={"database": "db", "sql": SQL}, headers=headers)
    return response.status_code == 200 and response.json()["ok"] is True


async def api_get(client, host: str, origin: str | None):
    assert origin is None  # a browser sends none with a page's GET of its own site
    response = await client.get("/-/llm/query.json", params={"database": "db", "sql": SQL}, headers={"Host": host})
    if response.status_code == 403:
        assert "DNS rebinding" in response.json()["error"]
    return response.status_code == 200 and response.json()["ok"] is True


@pytest.mark.asyncio
@pytest.mark.parametrize("address", addresses())
async def test_a_rebound_page_runs_nothing_on_a_server_at_a_local_address(tmp_path, address):
    ds = datasette_for(build_db(tmp_path / "db.db", big=False), HIDE_SECRET)
    rebound = "evil.example:8001"
    async with serving_at(ds, address) as client:
        ran = {
            "mcp": await mcp_query(client, rebound, f"http://{rebound}"),
            "post": await api_post(client, rebound, f"http://{rebound}"),
            "get": await api_get(client, rebound, None),
        }
        assert ran == dict.fromkeys(ran, not is_local(address)), address
        # clients that send no Origin and name the server by a loopback name or an IP address run anywhere
        literal = f"[{address}]:8001" if ":" in address else f"{address}:8001"
        for host in ["localhost:8001", "127.0.0.1:8001", "[::1]:8001"] + ([] if address.startswith("/") else [literal]):
            assert await mcp_query(client, host, None) and await api_post(client, host, None), host
            assert await api_get(client, host, None), host


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "host", ["evil.example", "EVIL.example:80", "evil.example.:8001", "localhost.evil.example", "127.0.0.1.nip.io:8001"]
)
async def test_every_spelling_of_a_host_name_is_one(tmp_path, host):
    ds = datasette_for(build_db(tmp_path / "db.db", big=False), HIDE_SECRET)
    async with serving_at(ds, "127.0.0.1") as client:
        assert not await api_get(client, host, None)
