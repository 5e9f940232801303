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

from ..compat import DATASETTE_1
from ..errors import Forbidden
from .body_limits import SAFE_METHODS, plugin_route_paths, send_error
from .request_body import JSON, scope_content_type

CROSS_SITE = (
    "Datasette refused this request as cross-site: its Origin or Sec-Fetch-Site header names another origin. "
    "Send it from a page of this site, or from a client that sends neither header"
)
WITHOUT_TOKEN_HEADER = (
    "Datasette refused this request: it sends Datasette's ds_csrftoken cookie without the cookie's value in "
    "an x-csrftoken header. Send that header too, or send no cookie"
)
# 0.65's asgi-csrf refuses a POST carrying any cookie at all without a matching token: the refusal said the request
# sent a ds_csrftoken cookie when it sent only another application's cookie, or ds_actor from a script (an outside
# tester, session 59), advice its client could not follow.
WITHOUT_TOKEN = (
    "Datasette refused this request: it sends cookies ({names}) but no ds_csrftoken cookie with its value in an "
    "x-csrftoken header, and Datasette refuses a POST with cookies without them. Send no cookie (a script can sign "
    "in with an API token instead), or send both from a session that opened a page of this site"
)
SHOWN_COOKIES = 5
REFUSED = "Datasette refused this request"  # how every reason starts


def reason(scope) -> str:
    """Why Datasette refused this request, in terms of what it sent."""
    if DATASETTE_1:
        return CROSS_SITE
    names = _cookie_names(scope)
    if "ds_csrftoken" in names:
        return WITHOUT_TOKEN_HEADER
    shown = ", ".join(name[:40] for name in names[:SHOWN_COOKIES]) + (", ..." if len(names) > SHOWN_COOKIES else "")
    return WITHOUT_TOKEN.format(names=shown)


def _cookie_names(scope) -> list[str]:
    names = []
    for name, value in scope.get("headers") or []:
        if name.lower() == b"cookie":
            text = value.decode("latin-1")
            names += [part.split("=", 1)[0].strip() for part in text.split(";") if part.strip()]
    return names


def _json_request(scope) -> bool:
    return scope.get("method") not in SAFE_METHODS and scope_content_type(scope) == JSON


def _html(message) -> bool:
    headers = dict((name.lower(), value) for name, value in message.get("headers") or [])
    return headers.get(b"content-type", b"").lower().startswith(b"text/html")


def wrap(datasette):
    """The asgi_wrapper hook's wrapper for this Datasette instance."""
    paths_of = plugin_route_paths(datasette)

    def wrapper(app):
        async def json_refusals(scope, receive, send):
            if scope.get("type") != "http" or not _json_request(scope) or (paths := paths_of(scope)) is None:
                return await app(scope, receive, send)
            replacing = False

            async def sending(message):
                nonlocal replacing
                if message.get("type") == "http.response.start" and message.get("status") == 403 and _html(message):
                    replacing = True
                    return await send_error(send, Forbidden(reason(scope)), json_rpc="/-/mcp" in paths)
                if not replacing:  # the HTML page's body is dropped
                    await send(message)

            return await app(scope, receive, sending)

        return json_refusals

    return wrapper
