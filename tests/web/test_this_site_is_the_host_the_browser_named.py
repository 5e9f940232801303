"""Where a browser says it is (the Host header) is this site, for every well-formed host a browser sends (RFC 9110
7.2: names, IPv4 and IPv6 literals, with or without a port): the manifest's URLs point there, and a POST whose
Origin is that same origin (RFC 6454: scheme, host, port) is from this site, not refused as another site's
(SECURITY.md, "Cross-site requests"). Oracle: the Host header itself and the browser's same-origin rule."""

import pytest
from datasette.app import Datasette
from examples_helpers import make_database

HOSTS = [
    "localhost",
    "example.com",
    "data.example.org:8001",
    "127.0.0.1:8420",
    "[::1]:8421",
    "[::1]",
    "a-b.c-d.io",
    "10.0.0.7",
]


@pytest.mark.asyncio
async def test_the_host_a_browser_names_is_this_site(tmp_path):
    ds = Datasette(
        [str(make_database(tmp_path / "db.db"))], metadata={"plugins": {"datasette-llm": {"warm_up": False}}}
    )
    for host in HOSTS:
        manifest = await ds.client.get("/.well-known/ai-plugin.json", headers={"host": host})
        assert manifest.status_code == 200
        assert manifest.json()["api"]["url"].startswith(f"http://{host}/"), (host, manifest.json()["api"]["url"])
        body = {"question": f"Cats at {host}?", "verdict": "wrong", "comment": "x"}
        same = await ds.client.post("/-/llm/db/feedback", json=body, headers={"host": host, "origin": f"http://{host}"})
        assert same.status_code == 201, (host, same.status_code, same.text[:200])
        other = await ds.client.post(
            "/-/llm/db/feedback", json=body, headers={"host": host, "origin": "http://evil.example"}
        )
        assert other.status_code == 403, (host, other.status_code)
