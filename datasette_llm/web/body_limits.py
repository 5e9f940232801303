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

import asyncio
import re
import time

from ..compat import DATASETTE_1
from ..errors import BadRequest, DatasetteLLMError, Forbidden, UnsupportedMediaType
from ..fair_share import client_key
from .request_body import FORM, MULTIPART, body_account, parse_form, read_body, scope_content_type, too_large
from .responses import NO_SNIFF, error_response, json_bytes

OTHER_ROUTES_BYTES = 64 * 1024  # routes that read no body (pages, GET APIs) answer POSTs with an error
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # asgi-csrf reads no body for these
# What is left of a refused body is read and dropped, up to these, before the refusal is sent: a server that
# answers and closes while its client is still sending resets the connection, and the client never reads the
# answer (Python's urllib sent a 20 MB question and saw "Connection reset by peer" instead of the 413).
DISCARD_BYTES = 64 * 1024 * 1024
DISCARD_SECONDS = 10.0


def _route_limits() -> list[tuple[re.Pattern, int, bool]]:
    """(path pattern, body limit in bytes, whether errors are JSON-RPC) for every route of the plugin."""
    from ..agents.mcp import MAX_BODY_BYTES as MCP_BYTES
    from . import agents, ask, examples, feedback
    from .routes import all_routes

    limits = {
        agents.mcp_view: MCP_BYTES,
        agents.query_view: agents.QUERY_BODY_BYTES,
        ask.json_view: ask.MAX_BODY_BYTES,
        ask.stream_view: ask.MAX_BODY_BYTES,
        examples.examples_view: examples.MAX_BODY_BYTES,
        feedback.feedback_view: examples.MAX_BODY_BYTES,
    }
    views = [(pattern, view.__wrapped__) for pattern, view in all_routes()]  # as each surface defines it
    return [
        (re.compile(pattern), limits.get(view, OTHER_ROUTES_BYTES), view is agents.mcp_view) for pattern, view in views
    ]


async def send_error(send, error: DatasetteLLMError, json_rpc: bool) -> None:
    """The refusal as every route answers it (responses.error_response: its status, Retry-After; NO_SNIFF as
    as_route adds it); MCP's as a JSON-RPC error."""
    response = error_response(error)
    response.headers.update(NO_SNIFF)
    if json_rpc:
        response.body = json_bytes({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": error.message}})
    await response.asgi_send(send)


class _Watched:
    """A `receive` that remembers whether the client has sent its whole body (or left)."""

    def __init__(self, receive):
        self.receive, self.started, self.ended = receive, False, False

    async def __call__(self):
        message = await self.receive()
        self.started = True
        self.ended = message.get("type") != "http.request" or not message.get("more_body", False)
        return message


async def _discard_rest(receive: _Watched, headers: dict) -> None:
    """Reads and drops the rest of a refused body, holding none of it, for DISCARD_SECONDS and DISCARD_BYTES at
    most. A client waiting for "100 Continue" before it sends has sent nothing yet: it is answered at once."""
    if receive.ended or (not receive.started and headers.get(b"expect", b"").lower() == b"100-continue"):
        return
    deadline, dropped = time.monotonic() + DISCARD_SECONDS, 0
    try:
        while not receive.ended and dropped <= DISCARD_BYTES:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            dropped += len(message.get("body", b""))
    except asyncio.TimeoutError:
        pass


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


def route_paths(scope, base: str) -> list[str]:
    """The request's path decoded, and as it was sent (what Datasette routes on), both without `base_url`."""
    paths = [scope.get("path") or ""]
    raw = scope.get("raw_path")
    if raw:
        paths.append(raw.decode("latin-1").partition("?")[0])
    if base == "/":
        return paths
    return ["/" + path[len(base) :] if path.startswith(base) else path for path in paths]


def plugin_route_paths(datasette):
    """A function of a request's scope: its paths (route_paths) when they are one of the plugin's routes, else None.
    What the ASGI wrappers that act on the plugin's routes alone ask first (shared_caches, csrf_refusals)."""
    from .routes import all_routes

    patterns = [re.compile(pattern) for pattern, _ in all_routes()]

    def paths_of(scope) -> list[str] | None:
        paths = route_paths(scope, datasette.setting("base_url") or "/")
        return paths if any(pattern.match(path) for path in paths for pattern in patterns) else None

    return paths_of


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            paths = route_paths(scope, datasette.setting("base_url") or "/")
            route = next(
                ((limit, rpc) for path in paths for pattern, limit, rpc in routes if pattern.match(path)), None
            )
            if route is None:
                return await app(scope, receive, send)
            limit, json_rpc = route
            headers = dict(scope.get("headers") or [])
            if not DATASETTE_1 and not _utf8(headers.get(b"cookie", b"")):
                # Datasette 0.65's CSRF layer decodes every request's cookies and raised on these: a 500 that no
                # wrapper saw, which nginx kept for a minute and gave everyone (an outside tester, session 46).
                # Datasette 1.0 has no such layer and reads such a request as any other.
                return await send_error(send, BadRequest("A cookie of this request is not UTF-8 text."), json_rpc)
            if scope.get("method") in SAFE_METHODS:
                return await app(scope, receive, send)
            kind = scope_content_type(scope)
            watched = _Watched(receive)
            # The body counts against what every request, and its address, holds until the request ends.
            with body_account(client_key(None, scope)) as account:
                try:
                    _ascii_token(headers.get(b"x-csrftoken", b"").decode("latin-1"))
                    if kind == MULTIPART:
                        raise UnsupportedMediaType(
                            "multipart/form-data is not accepted here; send "
                            "application/json (or a url-encoded form where documented)."
                        )
                    length = headers.get(b"content-length", b"")
                    if length.isdigit() and int(length) > limit:  # refused before the client sends it
                        raise too_large(limit)
                    body = await read_body(watched, limit)
                    if kind == FORM:  # parse_form refuses a form that is not UTF-8 (400)
                        _ascii_token(parse_form(body).get("csrftoken", ""))
                except DatasetteLLMError as error:
                    refused = error
                    refused.__traceback__ = None  # its frames hold what was read: nothing is held from here on
                else:
                    account.replayed = True  # the route reads a copy of what is counted already
                    return await app(scope, _replay(body, receive), send)
            await _discard_rest(watched, headers)  # after the account ends: what is dropped is not held
            return await send_error(send, refused, json_rpc)

        return bounded

    return wrapper
