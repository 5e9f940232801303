"""The ASGI spec makes `raw_path` optional (a server may send None or leave it out); Datasette then routes on `path`.
The plugin's layers (web/body_limits.py route_paths: "the request's path decoded, and as it was sent") must then
recognise the routes by `path`: each answer of the plugin's views still says no shared cache may keep it
(RFC 9111: Cache-Control no-store), and a body over a route's cap is still refused with 413 before it is read.
A generated family: every plugin route, GET and an over-cap POST, with `raw_path` absent or None, straight through
Datasette's ASGI app. Oracle: the same request with `raw_path` (what uvicorn sends), RFC 9111 and RFC 9110 15.5.14."""

from __future__ import annotations

import json
import random

import pytest
from route_helpers import items_datasette, plugin_paths


@pytest.fixture
def app(tmp_path):
    return items_datasette(tmp_path).app()


async def call(app, path: str, method: str, body: bytes, raw: str) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8001),
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json, text/event-stream"),
            (b"mcp-protocol-version", b"2025-06-18"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    if raw == "sent":
        scope["raw_path"] = path.encode()
    elif raw == "none":
        scope["raw_path"] = None
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {}
    for name, value in start["headers"]:
        headers.setdefault(name.decode().lower(), []).append(value.decode())
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.asyncio
async def test_every_route_keeps_its_layers_without_raw_path(app):
    rng = random.Random(50)
    for path in plugin_paths():
        big = json.dumps({"question": "x" * rng.randint(5 * 2**20, 6 * 2**20)}).encode()
        for method, body in (("GET", b""), ("POST", big)):
            with_raw = await call(app, path, method, body, "sent")
            for raw in ("absent", "none"):
                status, headers, _ = await call(app, path, method, body, raw)
                assert status == with_raw[0], (path, method, raw, status, with_raw[0])
                if path != "/-/llm/logo.svg":
                    assert "no-store" in ",".join(headers.get("cache-control", [])), (path, method, raw, headers)
                if method == "POST":
                    assert status == 413, (path, raw, status)
