"""An ASGI wrapper that bounds the body of every request to the plugin's routes before anything parses it.

It sits outside Datasette's CSRF layer (asgi-csrf), which, for every method but GET, HEAD, OPTIONS and TRACE
and whenever the request carries a cookie, reads a whole url-encoded form into memory, fails with a 500 on a
form that is not UTF-8, and fails with a 500 on any multipart body (no proper boundary; or a python-multipart it
does not fit). Here every such request to our routes is read up to its route's limit (413 beyond it) and then
replayed; multipart bodies, which no route of ours reads, are refused with a 415, forms that are not UTF-8
with a 400, and a CSRF token (header or form field) that is not ASCII with a 403. A route is recognised by
the path as sent (Datasette routes on it: `/a%2Fb/-/ask.json` reaches the Ask view of a database named "a/b")
as well as by the decoded path.
"""

from __future__ import annotations

import re

from ..errors import Busy, DatasetteLLMError, Forbidden, UnsupportedMediaType
from ..fair_share import client_key
from .request_body import FORM, MULTIPART, body_account, parse_form, read_body
from .responses import json_bytes

OTHER_ROUTES_BYTES = 64 * 1024  # routes that read no body (pages, GET APIs) answer POSTs with an error
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # asgi-csrf reads no body for these


def _route_limits() -> list[tuple[re.Pattern, int, bool]]:
    """(path pattern, body limit in bytes, whether errors are JSON-RPC) for every route of the plugin."""
    from ..agents.mcp import MAX_BODY_BYTES as MCP_BYTES
    from . import agents, ask, examples
    from .routes import all_routes

    limits = {
        agents.mcp_view: MCP_BYTES,
        agents.query_view: agents.QUERY_BODY_BYTES,
        ask.json_view: ask.MAX_BODY_BYTES,
        ask.stream_view: ask.MAX_BODY_BYTES,
        examples.examples_view: examples.MAX_BODY_BYTES,
        examples.feedback_view: examples.MAX_BODY_BYTES,
    }
    views = [(pattern, view.__wrapped__) for pattern, view in all_routes()]  # as each surface defines it
    return [
        (re.compile(pattern), limits.get(view, OTHER_ROUTES_BYTES), view is agents.mcp_view) for pattern, view in views
    ]


def _error_body(error: DatasetteLLMError, json_rpc: bool) -> bytes:
    if json_rpc:
        return json_bytes({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": error.message}})
    return json_bytes(error.to_json())


async def _send_error(send, error: DatasetteLLMError, json_rpc: bool) -> None:
    headers = [(b"content-type", b"application/json; charset=utf-8")]
    if isinstance(error, Busy):
        headers.append((b"retry-after", str(error.retry_after).encode()))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": _error_body(error, json_rpc)})


def _replay(body: bytes, receive):
    """A `receive` that hands over the body once, then waits on the client (for disconnects)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _paths(scope, base: str) -> list[str]:
    """The request's path decoded, and as it was sent (what Datasette routes on), both without `base_url`."""
    paths = [scope.get("path") or ""]
    raw = scope.get("raw_path")
    if raw:
        paths.append(raw.decode("latin-1").partition("?")[0])
    if base == "/":
        return paths
    return ["/" + path[len(base) :] if path.startswith(base) else path for path in paths]


def _ascii_token(token: str) -> None:
    """asgi-csrf compares the token with secrets.compare_digest, which raises on any other character (a 500 on
    every POST route for `x-csrftoken: é`, found by an outside tester)."""
    if not token.isascii():
        raise Forbidden("The CSRF token is not valid.")


def wrap(datasette):
    """The asgi_wrapper hook's wrapper for this Datasette instance."""
    routes = _route_limits()

    def wrapper(app):
        async def bounded(scope, receive, send):
            if scope.get("type") != "http" or scope.get("method") in SAFE_METHODS:
                return await app(scope, receive, send)
            paths = _paths(scope, datasette.setting("base_url") or "/")
            route = next(
                ((limit, rpc) for path in paths for pattern, limit, rpc in routes if pattern.match(path)), None
            )
            if route is None:
                return await app(scope, receive, send)
            limit, json_rpc = route
            headers = dict(scope.get("headers") or [])
            kind = headers.get(b"content-type", b"").decode("latin-1").split(";", 1)[0].strip().lower()
            # The body counts against what every request, and its address, holds until the request ends.
            with body_account(client_key(None, scope)) as account:
                try:
                    _ascii_token(headers.get(b"x-csrftoken", b"").decode("latin-1"))
                    if kind == MULTIPART:
                        raise UnsupportedMediaType(
                            "multipart/form-data is not accepted here; send "
                            "application/json (or a url-encoded form where documented)."
                        )
                    body = await read_body(receive, limit)
                    if kind == FORM:  # parse_form refuses a form that is not UTF-8 (400)
                        _ascii_token(parse_form(body).get("csrftoken", ""))
                except DatasetteLLMError as error:
                    return await _send_error(send, error, json_rpc)
                account.replayed = True  # the route reads a copy of what is counted already
                return await app(scope, _replay(body, receive), send)

        return bounded

    return wrapper
