"""A GET, HEAD or OPTIONS to the plugin's routes is answered as Datasette answers it, whatever body headers come with
it. The body limits (web/body_limits.py) act on the requests whose body Datasette's CSRF layer reads, every method
but GET, HEAD, OPTIONS and TRACE; RFC 9110 9.3.1/9.3.2/9.3.7 give content in those no defined meaning, and Datasette
reads none. So a `Content-Type: multipart/form-data`, a url-encoded or JSON type, an `x-csrftoken` that is not ASCII
(what asgi-csrf would fail on for a POST) or an empty body's `Content-Length: 0` with a safe method changes nothing:
the status and body are those of the same request without them. A generated family: every GET route of the plugin,
three safe methods, random combinations of such headers; over real HTTP (uvicorn). Oracle: the same request without
the headers (Datasette's own routing and views)."""

from __future__ import annotations

import random
import re

import pytest
from route_helpers import items_datasette
from server_helpers import serve_in_thread

GETS = [
    "/-/ask",
    "/db/-/ask",
    "/.well-known/ai-plugin.json",
    "/-/llm/openapi.json",
    "/-/llm/openapi.yaml",
    "/-/llm/logo.svg",
    "/-/llm/schema.json?database=db",
    "/-/llm/query.json?database=db&sql=select+1",
    "/-/llm/db/examples.json",
    "/-/llm/db/examples",
    "/-/semantic-search?q=x&database=db",
    "/db/-/ask.json",
    "/-/mcp",
]
EXTRA = {
    "Content-Type": ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json"],
    "x-csrftoken": ["\u00e9", "t\u00ff"],
    "Content-Length": ["0"],
}
VOLATILE = re.compile(rb'csrftoken[^>]*>|"(timings|seconds|ms|elapsed)[^"]*": ?(\{[^{}]*\}|[0-9.e-]+)')


@pytest.fixture
def url(tmp_path):
    ds = items_datasette(tmp_path)
    with serve_in_thread(ds.app()) as base:
        yield base


def raw(url: str, method: str, target: str, headers: dict) -> tuple[int, bytes]:
    """One request over a socket (httpx would not send a Content-Length without that body)."""
    import http.client

    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value.encode("latin-1"))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, VOLATILE.sub(b"", response.read())
    finally:
        connection.close()


def test_safe_methods_ignore_body_headers(url):
    rng = random.Random(50)
    differing, compared = [], 0
    for target in GETS:
        for method in ("GET", "HEAD", "OPTIONS"):
            plain = raw(url, method, target, {})
            for _ in range(4):
                names = rng.sample(sorted(EXTRA), rng.randint(1, 3))
                extra = {name: rng.choice(EXTRA[name]) for name in names}
                got = raw(url, method, target, extra)
                compared += 1
                if got[0] != plain[0] or got[1] != plain[1]:
                    differing.append((method, target, extra, plain[0], got[0], got[1][:120]))
    assert compared >= 100
    assert not differing, differing[:5]
