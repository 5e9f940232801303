"""The door for other assistants on the web: plugin manifest, OpenAPI spec, logo, schema and query APIs, MCP.

Views only translate HTTP to the functions in `datasette_llm.agents`; errors become JSON via `json_errors`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from datasette.utils.asgi import Response

from ..agents.manifest import build_manifest
from ..agents.mcp_transport import MAX_BODY_BYTES, handle_http, origin_allowed
from ..agents.openapi import build_openapi
from ..agents.query_api import MAX_SQL_CHARS, run_capped_query
from ..agents.schema_api import describe_databases, describe_table
from ..config import settings_for
from ..errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from .responses import json_errors, json_response

LOGO = Path(__file__).resolve().parent.parent / "static" / "logo.svg"
HOST = re.compile(r"^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
VARY = {"Vary": "X-Forwarded-Host, X-Forwarded-Proto"}
CSRF_EXEMPT_JSON_PATHS = ("/-/mcp", "/-/llm/query.json")
QUERY_BODY_BYTES = MAX_SQL_CHARS * 4 + 4096



def public_base_url(datasette, request) -> str:
    """The instance's public root ("https://host/base/"), honouring base_url and X-Forwarded-Proto/-Host."""
    headers = request.headers
    proto = (headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    scheme = proto if proto in ("http", "https") else request.scheme
    if datasette.setting("force_https_urls"):
        scheme = "https"
    host = (headers.get("x-forwarded-host") or "").split(",")[0].strip()
    if not HOST.match(host):
        host = request.host if HOST.match(request.host) else "localhost"
    base = "/" + (datasette.setting("base_url") or "/").strip("/") + "/"
    return f"{scheme}://{host}{base.replace('//', '/')}"


def _content_type(request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _require_method(request, *allowed: str) -> None:
    if request.method not in allowed:
        raise MethodNotAllowed(f"Use {' or '.join(allowed)}.")


async def read_body(request, limit: int) -> bytes:
    """The request body, refusing (413) to hold more than `limit` bytes."""
    chunks, size, more = [], 0, True
    while more:
        message = await request.receive()
        if message.get("type") != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit:,} bytes.")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _check_origin(request) -> None:
    server = request.scope.get("server")
    if not origin_allowed(request.headers.get("origin"), request.host, server[0] if server else None):
        raise Forbidden("Requests from this Origin are not allowed.")


@json_errors
async def manifest_view(request, datasette):
    """GET /.well-known/ai-plugin.json"""
    _require_method(request, "GET", "HEAD")
    manifest = build_manifest(public_base_url(datasette, request), settings_for(datasette),
                              title=datasette.metadata("title"), license_url=datasette.metadata("license_url"))
    return json_response(manifest, headers=VARY)


@json_errors
async def openapi_view(request, datasette):
    """GET /-/llm/openapi.json and /-/llm/openapi.yaml"""
    _require_method(request, "GET", "HEAD")
    spec = build_openapi(public_base_url(datasette, request), settings_for(datasette),
                         title=datasette.metadata("title") or "Datasette")
    if request.url_vars.get("format") == "yaml":
        return Response(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), headers=VARY,
                        content_type="application/yaml; charset=utf-8")
    return json_response(spec, headers=VARY)


async def logo_view(request, datasette):
    """GET /-/llm/logo.svg"""
    return Response(LOGO.read_text(), content_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@json_errors
async def schema_view(request, datasette):
    """GET /-/llm/schema.json?database=&table= -> what the actor may query."""
    _require_method(request, "GET", "HEAD")
    database = request.args.get("database") or None
    table = request.args.get("table") or None
    if table is not None:
        return json_response(await describe_table(datasette, request.actor, database, table, example_rows=False))
    return json_response(await describe_databases(datasette, request.actor, database))


async def _query_arguments(request) -> tuple:
    if request.method in ("GET", "HEAD"):
        return request.args.get("database") or None, request.args.get("sql")
    content_type = _content_type(request)
    if content_type == "application/json":
        _check_origin(request)  # CSRF is skipped for JSON bodies; DNS rebinding is not
        try:
            data = json.loads(await read_body(request, QUERY_BODY_BYTES))
        except (ValueError, RecursionError):
            raise BadRequest("The body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise BadRequest('The body must be a JSON object: {"database": ..., "sql": ...}.')
        return data.get("database") or None, data.get("sql")
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post_vars()
        return form.get("database") or None, form.get("sql")
    raise UnsupportedMediaType("Send the query as application/json: {\"database\": ..., \"sql\": ...}.")


@json_errors
async def query_view(request, datasette):
    """GET|POST /-/llm/query.json (database, sql) -> rows capped by count and characters, with a note."""
    _require_method(request, "GET", "HEAD", "POST")
    database, sql = await _query_arguments(request)
    result = await run_capped_query(datasette, request.actor, database, sql)
    return json_response(result.to_json())


async def mcp_view(request, datasette):
    """/-/mcp: the MCP Streamable HTTP endpoint (JSON responses)."""
    body = b""
    if request.method == "POST":
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except PayloadTooLarge as error:
            return json_response({"jsonrpc": "2.0", "id": None,
                                  "error": {"code": -32600, "message": error.message}}, status=413)
    server = request.scope.get("server")
    raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope.get("headers") or []]
    reply = await handle_http(datasette, request.actor, method=request.method, headers=request.headers,
                              raw_headers=raw_headers, body=body, host=request.host,
                              server_address=server[0] if server else None)
    return Response(reply.body().decode("utf-8"), status=reply.status, headers=reply.headers,
                    content_type="application/json; charset=utf-8")


def skip_csrf(datasette, scope) -> bool | None:
    """Skip Datasette's CSRF check for JSON POSTs (and session DELETEs) to /-/mcp and /-/llm/query.json.

    A cross-site page cannot send `Content-Type: application/json` or DELETE without a CORS preflight that
    Datasette does not grant, so these need no token; forms still do.
    """
    if scope.get("type") != "http":
        return None
    path = scope.get("path") or ""
    base = datasette.setting("base_url") or "/"
    if base != "/" and path.startswith(base):
        path = "/" + path[len(base):]
    if path not in CSRF_EXEMPT_JSON_PATHS:
        return None
    if scope.get("method") == "DELETE" and path == "/-/mcp":
        return True
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
    return True if content_type == "application/json" else None


ROUTES = [
    (r"^/\.well-known/ai-plugin\.json$", manifest_view),
    (r"^/-/llm/openapi\.(?P<format>json|yaml)$", openapi_view),
    (r"^/-/llm/logo\.svg$", logo_view),
    (r"^/-/llm/schema\.json$", schema_view),
    (r"^/-/llm/query\.json$", query_view),
    (r"^/-/mcp$", mcp_view),
]
