"""Datasette's own cross-site (CSRF) refusals of the plugin's JSON requests, as JSON.

Datasette's CSRF layer runs before the plugin's routes and answers with an HTML page: 0.65's asgi-csrf when a
request carries Datasette's `ds_csrftoken` cookie but not its value in `x-csrftoken` (any client whose cookie jar
opened a Datasette page), 1.0's cross-origin check when `Sec-Fetch-Site` or `Origin` names another origin (the MCP
Inspector on another localhost port). A client that sent JSON to the Ask API, the teaching endpoints, the query API
or MCP then got "Unknown content-type" or an HTML page, not the JSON error the plugin answers with everywhere else
(outside testers, session 49). This wrapper, inside the shared caches' one, turns such a 403 into the plugin's JSON
error (a JSON-RPC error for MCP) that says what to send; forms and pages keep Datasette's HTML.
"""

from __future__ import annotations

import json
import re

from ..compat import DATASETTE_1
from .body_limits import route_paths

REASON = (
    "Datasette refused this request as cross-site: its Origin or Sec-Fetch-Site header names another origin. "
    "Send it from a page of this site, or from a client that sends neither header"
    if DATASETTE_1
    else "Datasette refused this request: it sends Datasette's ds_csrftoken cookie without the cookie's value in "
    "an x-csrftoken header. Send that header too, or send no cookie"
)


NOSNIFF = (b"x-content-type-options", b"nosniff")


def _json_request(scope) -> bool:
    headers = dict(scope.get("headers") or [])
    kind = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
    return scope.get("method") not in ("GET", "HEAD", "OPTIONS") and kind == "application/json"


def _html(message) -> bool:
    headers = dict((name.lower(), value) for name, value in message.get("headers") or [])
    return headers.get(b"content-type", b"").lower().startswith(b"text/html")


def refusal_body(paths: list[str]) -> bytes:
    if "/-/mcp" in paths:
        return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": REASON}}).encode()
    return json.dumps({"ok": False, "error": REASON, "status": 403}).encode()


def wrap(datasette):
    """The asgi_wrapper hook's wrapper for this Datasette instance."""
    from .routes import all_routes

    patterns = [re.compile(pattern) for pattern, _ in all_routes()]

    def wrapper(app):
        async def json_refusals(scope, receive, send):
            if scope.get("type") != "http" or not _json_request(scope):
                return await app(scope, receive, send)
            paths = route_paths(scope, datasette.setting("base_url") or "/")
            if not any(pattern.match(path) for path in paths for pattern in patterns):
                return await app(scope, receive, send)
            replacing = False

            async def sending(message):
                nonlocal replacing
                if message.get("type") == "http.response.start" and message.get("status") == 403 and _html(message):
                    replacing = True
                    body = refusal_body(paths)
                    headers = [(b"content-type", b"application/json; charset=utf-8"), NOSNIFF]
                    await send({"type": "http.response.start", "status": 403, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
                if not replacing:  # the HTML page's body is dropped
                    await send(message)

            return await app(scope, receive, sending)

        return json_refusals

    return wrapper
