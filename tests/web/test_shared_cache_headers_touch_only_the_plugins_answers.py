"""The shared-cache headers (web/shared_caches.py) are the plugin's alone, and hold when the app fails.

- The logo says how it may be kept ("a fixed picture, kept for a day"): RFC 9111 section 5.2 lets a cache store
  it, and it has one Cache-Control, its own (a second, added `no-store` would make caches drop it).
- Datasette's own pages and JSON, which the wrapper is not for, keep Datasette's own caching: no `no-store` that
  Datasette did not send to an anonymous request, and no Vary on the Sec-Fetch-* headers that only the plugin's
  routes read.
- A failure before any response is the wrapper's 500 with `no-store` (the server's own 500 says nothing about
  caching), and the failure is raised on for the server's log.

Generated families: request header sets for the logo, Datasette's own paths and methods, every plugin route for
the failures. Oracles: RFC 9111, Datasette's own response (its headers) for its own paths.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
from route_helpers import items_datasette, plugin_paths
from server_helpers import serve_in_thread

import datasette_llm.web.body_limits as body_limits

HEADER_VALUES = {
    "Accept": ["image/svg+xml", "*/*", "text/html"],
    "Sec-Fetch-Site": ["same-origin", "cross-site", "none"],
    "Sec-Fetch-Dest": ["image", "document", "empty"],
    "Origin": ["https://other.example"],
    "X-Forwarded-Proto": ["https"],
    "User-Agent": ["curl/8.0", "Mozilla/5.0"],
}


@pytest.fixture
def ds(tmp_path):
    return items_datasette(tmp_path, rows=3)


def directives(values: list[str]) -> dict:
    parts = [part.strip().lower() for value in values for part in value.split(",") if part.strip()]
    return dict((part.split("=", 1) + [""])[:2] for part in parts)


def vary(headers) -> set[str]:
    return {part.strip().lower() for value in headers.get_list("vary") for part in value.split(",") if part.strip()}


def header_sets(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    sets = [{}] + [{name: value} for name, values in HEADER_VALUES.items() for value in values]
    for _ in range(count):
        names = rng.sample(sorted(HEADER_VALUES), rng.randint(2, 4))
        sets.append({name: rng.choice(HEADER_VALUES[name]) for name in names})
    return sets


@pytest.mark.asyncio
async def test_the_logo_keeps_its_one_cache_control(ds):
    for headers in header_sets(50, 20):
        for method in ("GET", "HEAD"):
            response = await ds.client.request(method, "/-/llm/logo.svg", headers=headers)
            assert response.status_code == 200, (method, headers)
            values = response.headers.get_list("cache-control")
            assert len(values) == 1, (method, headers, values)  # RFC 9111 5.2: one list, no conflicting second
            found = directives(values)
            assert not {"no-store", "private", "no-cache"} & set(found), (method, headers, values)
            assert int(found.get("max-age", "0")) > 0, (method, headers, values)


@pytest.mark.asyncio
async def test_datasettes_own_answers_keep_datasettes_caching(ds):
    """Datasette's own paths: nothing of the plugin's caching is added to what Datasette sends."""
    own = [
        "/",
        "/db",
        "/db/items",
        "/db/items.json",
        "/db.json",
        "/db/items/1",
        "/db/items/1.json",
        "/-/versions.json",
        "/-/plugins.json",
        "/db?sql=select+1",
        "/db.json?sql=select+1",
        "/no-such-db",
        "/db/no-such-table",
        "/-/static/app.css",
    ]
    plugin = set(plugin_paths())
    assert not plugin & set(own)
    seen = 0
    for path, headers in itertools.product(own, header_sets(51, 4)):
        response = await ds.client.get(path, headers=headers)
        names = vary(response.headers)
        assert not {"sec-fetch-site", "sec-fetch-dest"} & names, (path, headers, response.headers.get("vary"))
        found = directives(response.headers.get_list("cache-control"))
        # Datasette 0.65 and 1.0 send `no-store` only to requests with a cookie, a token or an actor.
        assert "no-store" not in found, (
            path,
            headers,
            response.status_code,
            response.headers.get_list("cache-control"),
        )
        seen += response.status_code == 200
    assert seen >= len(own) // 2  # the oracle looked at real answers, not only errors


def asgi_request(path: str, method: str, body: bytes) -> tuple[dict, list]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8001),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return scope, receive


@pytest.mark.asyncio
async def test_a_failure_before_any_response_is_an_uncacheable_500_and_is_raised(ds, monkeypatch):
    async def failing_read(receive, limit):
        raise RuntimeError("the app failed")

    monkeypatch.setattr(body_limits, "read_body", failing_read)  # fails inside the plugin's wrappers
    app = ds.app()
    for path in plugin_paths():
        scope, receive = asgi_request(path, "POST", json.dumps({"question": "q"}).encode())
        sent = []

        async def send(message, sent=sent):
            sent.append(message)

        with pytest.raises(RuntimeError):  # raised on, for the server's log
            await app(scope, receive, send)
        starts = [m for m in sent if m["type"] == "http.response.start"]
        assert len(starts) == 1 and starts[0]["status"] == 500, (path, sent)
        headers = {name.lower(): value for name, value in starts[0]["headers"]}
        assert b"no-store" in headers.get(b"cache-control", b""), (path, starts)
        # ASGI: the response is complete, a body with no more to come, or the client waits for the rest
        bodies = [m for m in sent if m["type"] == "http.response.body"]
        assert bodies and not bodies[-1].get("more_body", False), (path, sent)


def test_the_logo_over_real_http_keeps_its_cache_control(ds):
    import httpx

    with serve_in_thread(ds.app()) as url:
        for headers in header_sets(52, 6):
            response = httpx.get(url + "/-/llm/logo.svg", headers=headers)
            assert response.status_code == 200
            assert len(response.headers.get_list("cache-control")) == 1, response.headers.get_list("cache-control")
