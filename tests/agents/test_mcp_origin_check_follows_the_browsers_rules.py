"""The Origin check of /-/mcp and /-/llm/query.json over real HTTP, against an oracle written from the browser's
rules and the MCP spec, not from the plugin's code.

MCP (Streamable HTTP, security warning): servers MUST validate the Origin header to prevent DNS rebinding. A
browser puts its page's serialised origin (scheme://host[:port], or `null` for sandboxed frames and no-referrer
POSTs) on every POST; a page on another site sends its own; a page whose name was rebound to this server sends
that name as Origin AND as Host. Names under `localhost` and the loopback addresses are this machine (RFC 6761
6.3; browsers resolve them without DNS), so such a page is a local app (allowed, SECURITY.md). A page on the
server's own name is the server's own site only where no rebinding is needed to reach it: a server on a global
address; on a loopback, private or link-local one (IANA special-purpose registry: not globally reachable), only a
rebound name leads there.

Uvicorn on 127.0.0.1 serves Datasette; a two-line ASGI wrapper sets `scope["server"]` (the address the connection
was accepted on) from a test header, since this machine only listens on 127.0.0.1. The generated family: Origin
(absent, null, loopback names in any case, ports, *.localhost, IPv4 and IPv6 loopback literals, other sites'
names and addresses, other schemes) x Host (the rebound name, in another case, another port, the real address)
x the server's address (loopback, private, link-local, global, v4 and v6, none known). Left out here:
100.64.0.0/10, servers on a Unix socket and the query API's GET (test_dns_rebinding_on_every_local_address.py),
and trailing-dot names, which browsers treat differently from each other.
"""

from __future__ import annotations

import ipaddress
import json
import random

import httpx
import pytest
from agents_helpers import build_db, datasette_for
from datasette_versions import DATASETTE_1
from server_helpers import serve_in_thread

SERVER_HEADER = b"x-test-server-address"
LOOPBACK_HOSTS = [
    "localhost",
    "LOCALHOST",
    "LocalHost",
    "app.localhost",
    "a.b.LOCALHOST",
    "127.0.0.1",
    "127.0.0.2",
    "127.255.0.9",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
]
OTHER_HOSTS = [
    "evil.example",
    "EVIL.Example",
    "localhost.evil.example",
    "127.0.0.1.nip.io",
    "evil-localhost.test",
    "xlocalhost",
    "localhostx.example",
    "xn--80ak6aa92e.com",
    "10.0.0.5",
    "192.168.1.5",
    "8.8.8.8",
    "[2001:db8::1]",
    "[fe80::1]",
    "[fd00::5]",
    "0.0.0.0",
]
SERVERS = [
    "127.0.0.1",
    "127.0.0.7",
    "::1",
    "10.1.2.3",
    "172.16.9.9",
    "192.168.1.5",
    "169.254.3.4",
    "fe80::1",
    "fd12:3456::1",
    "93.184.216.34",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "none",
]  # none: no address known


def loopback_host(host: str) -> bool:
    """RFC 6761: localhost and names under it; 127.0.0.0/8 and ::1 (written any way) are loopback."""
    h = host.lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h.strip("[]")).is_loopback
    except ValueError:
        return False


def oracle(origin: str | None, host: str, server: str) -> bool:
    """Whether the request may reach a tool: the browser's and the MCP spec's rules, written out here."""
    if origin is None:
        return True  # not a browser: browsers send Origin on every POST
    if origin == "null":
        return False  # an opaque origin is nobody's site
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest:
        return False  # no web page of this server, nor a local one, has another scheme
    hostname = rest if rest.endswith("]") else rest.rsplit(":", 1)[0] if ":" in rest else rest
    if loopback_host(hostname):
        return True
    if rest.lower() != host.lower():
        return False  # another site's page
    # the server's own site, unless only rebinding may lead here (or where the server is cannot be told)
    return server != "none" and ipaddress.ip_address(server).is_global


def cases(seed: int, n: int):
    rng = random.Random(seed)
    out = [
        (None, "127.0.0.1:8001", "127.0.0.1"),
        ("null", "127.0.0.1:8001", "127.0.0.1"),
        ("http://evil.example:8001", "evil.example:8001", "127.0.0.1"),
        ("http://evil.example:8001", "evil.example:8001", "93.184.216.34"),
        ("http://evil.example:8001", "evil.example:8001", "none"),
        ("http://app.localhost:3000", "evil.example", "none"),
    ]
    while len(out) < n:
        scheme = rng.choice(["http", "https", "HTTP", "Https", "ftp", "file", "chrome-extension", "ws"])
        name = rng.choice(LOOPBACK_HOSTS if rng.random() < 0.35 else OTHER_HOSTS)
        port = rng.choice([None, 80, 443, 8001, rng.randint(1, 65535)])
        origin = f"{scheme}://{name}" + (f":{port}" if port else "")
        netloc = origin.split("://", 1)[1]
        host = rng.choice(
            [
                netloc,
                netloc.upper(),
                netloc.lower(),
                f"{name}:{rng.randint(1, 65535)}",
                "127.0.0.1:8001",
                "localhost",
                name,
            ]
        )
        out.append((origin, host, rng.choice(SERVERS)))
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    ds = datasette_for(build_db(tmp_path_factory.mktemp("origin") / "db.db", big=False))
    inner = ds.app()

    async def app(scope, receive, send):
        if scope["type"] == "http":
            for key, value in scope["headers"]:
                if key == SERVER_HEADER:
                    scope = dict(scope, server=None if value == b"none" else (value.decode(), 8001))
        await inner(scope, receive, send)

    with serve_in_thread(app) as url:
        yield url


def post_tool(client, base, path, origin, host, server):
    headers = {
        "Host": host,
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-06-18",
        SERVER_HEADER.decode(): server,
    }
    if origin is not None:
        headers["Origin"] = origin
    if path == "/-/mcp":
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "query", "arguments": {"database": "db", "sql": "select name from users"}},
        }
    else:
        body = {"database": "db", "sql": "select name from users"}
    response = client.post(base + path, content=json.dumps(body).encode(), headers=headers)
    ran = response.status_code == 200 and "simon" in response.text
    refused = response.status_code == 403
    assert ran or refused, (path, origin, host, server, response.status_code, response.text[:200])
    return ran


@pytest.mark.parametrize("path", ["/-/mcp", "/-/llm/query.json"])
def test_a_tool_runs_for_exactly_the_origins_a_browser_page_may_use(base, path):
    wrong = []
    with httpx.Client(timeout=30) as client:
        for origin, host, server in cases(49, 160):
            allowed = oracle(origin, host, server)
            same = origin is not None and origin.lower().removesuffix(":80") == f"http://{host}".lower().removesuffix(
                ":80"
            )
            if DATASETTE_1 and origin is not None and not same:
                allowed = False  # Datasette 1.0's own CSRF check refuses every other origin first (reported apart)
            if post_tool(client, base, path, origin, host, server) != allowed:
                wrong.append((origin, host, server, allowed))
    assert not wrong, wrong[:10]


def test_the_oracle_sees_both_verdicts_for_each_kind_of_server():
    """The family is not one-sided: for loopback, private and global servers, some requests are allowed and some
    refused (else a check that always allows or always refuses would pass)."""
    seen = {}
    for origin, host, server in cases(49, 160):
        kind = "global" if server != "none" and ipaddress.ip_address(server).is_global else "local"
        seen.setdefault(kind, set()).add(oracle(origin, host, server))
    assert seen == {"global": {True, False}, "local": {True, False}}
    rebound_global = [
        c
        for c in cases(49, 160)
        if c[0]
        and c[0] != "null"
        and c[0].split("://", 1)[1].lower() == c[1].lower()
        and not loopback_host(c[1].rsplit(":", 1)[0])
        and c[2] != "none"
        and ipaddress.ip_address(c[2]).is_global
        and c[0].split("://")[0].lower() in ("http", "https")
    ]
    assert rebound_global, "the family must hold a page on a public server's own name"
