"""The door for other assistants on the web: plugin manifest, OpenAPI spec, logo, schema and query APIs, MCP.

Views only translate HTTP to the functions in `datasette_llm.agents`; errors become JSON via `json_errors`.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from datasette.utils.asgi import Response

from .. import permissions
from ..agents.manifest import build_manifest
from ..agents.mcp import MAX_BODY_BYTES, handle_http
from ..agents.openapi import build_openapi
from ..agents.query_api import MAX_SQL_CHARS, run_capped_query
from ..agents.schema_api import describe_databases, describe_table
from ..agents.schema_caps import HTTP_HINT, cap_listing, cap_table
from ..compat import instance_metadata
from ..config import settings_for
from ..errors import DatasetteLLMError
from .disconnect import ClientGone, client_gone_response, run_unless_disconnected
from .origins import (
    public_base_url,
    require_allowed_origin,
    require_cookie_form_from_this_site,
    require_not_rebound,
    vary_headers,
)
from .request_body import JSON, content_type, read_body, read_object, require_method
from .responses import json_errors, json_response

LOGO = Path(__file__).resolve().parent.parent / "static" / "logo.svg"
CSRF_EXEMPT_JSON_PATHS = ("/-/mcp", "/-/llm/query.json")
# A character of SQL can take 12 bytes of body: \ud83d\ude00 in JSON, %F0%9F%98%80 in a form (an outside tester's
# 8,000 escaped "é" were refused at 4 bytes a character).
QUERY_BODY_BYTES = MAX_SQL_CHARS * 12 + 4096
QUERY_EXAMPLE = '{"database": "...", "sql": "select ..."}'


@json_errors
async def manifest_view(request, datasette):
    """GET /.well-known/ai-plugin.json"""
    await permissions.require_view_instance(datasette, request.actor)
    require_method(request, "GET", "HEAD")
    manifest = build_manifest(
        public_base_url(datasette, request),
        settings_for(datasette),
        title=await instance_metadata(datasette, "title"),
        license_url=await instance_metadata(datasette, "license_url"),
    )
    return json_response(manifest, headers=vary_headers(datasette))


class _PlainDumper(yaml.SafeDumper):
    """Writes a schema used in two places out twice, not as `&id001` / `*id001`, which some OpenAPI tools refuse."""

    def ignore_aliases(self, data):
        return True


@json_errors
async def openapi_view(request, datasette):
    """GET /-/llm/openapi.json and /-/llm/openapi.yaml"""
    await permissions.require_view_instance(datasette, request.actor)
    require_method(request, "GET", "HEAD")
    title = await instance_metadata(datasette, "title")
    spec = build_openapi(public_base_url(datasette, request), settings_for(datasette), title=title or "Datasette")
    if request.url_vars.get("format") == "yaml":
        return Response(
            yaml.dump(spec, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True),
            headers=vary_headers(datasette),
            content_type="application/yaml; charset=utf-8",
        )
    return json_response(spec, headers=vary_headers(datasette))


async def logo_view(request, datasette):
    """GET /-/llm/logo.svg"""
    return Response(LOGO.read_text(), content_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@json_errors
async def schema_view(request, datasette):
    """GET /-/llm/schema.json?database=&table= -> what the actor may query."""
    require_method(request, "GET", "HEAD")
    database = request.args.get("database") or None
    table = request.args.get("table") or None
    if database is None:  # every database the actor may see: an instance-wide listing
        await permissions.require_view_instance(datasette, request.actor)
    max_chars = settings_for(datasette).query_max_chars  # what a model told to call this first can read
    if table is not None:
        details = await describe_table(datasette, request.actor, database, table, example_rows=False)
        return json_response(cap_table(details, max_chars))
    listing = await describe_databases(datasette, request.actor, database)
    return json_response(cap_listing(listing, max_chars, HTTP_HINT))


async def _query_arguments(request) -> tuple:
    """(database, sql) from the query string (GET) or a JSON or url-encoded body (POST)."""
    if request.method in ("GET", "HEAD"):
        require_not_rebound(request)  # a rebound page's GET of its own site carries no Origin
        return request.args.get("database") or None, request.args.get("sql")
    if content_type(request.headers) == JSON:
        require_allowed_origin(request)  # CSRF is skipped for JSON bodies; DNS rebinding is not
    else:
        require_cookie_form_from_this_site(request)  # Datasette 1.0 (0.65's CSRF check does this there)
    data = await read_object(request, QUERY_BODY_BYTES, example=QUERY_EXAMPLE)
    return data.get("database") or None, data.get("sql")


@json_errors
async def query_view(request, datasette):
    """GET|POST /-/llm/query.json (database, sql) -> rows capped by count and characters, with a note."""
    require_method(request, "GET", "HEAD", "POST")
    database, sql = await _query_arguments(request)
    try:  # given up when its client goes away: its statement stops (sql/execute.on_a_read_thread)
        result = await run_unless_disconnected(
            run_capped_query(datasette, request.actor, database, sql), request.receive
        )
    except ClientGone:
        return client_gone_response()
    return json_response(result.to_json())


async def mcp_view(request, datasette):
    """/-/mcp: the MCP Streamable HTTP endpoint (JSON responses)."""
    body = b""  # no view-instance check: each tool acts on a database, as the query API does (Datasette's cascade)
    if request.method == "POST":
        try:
            require_cookie_form_from_this_site(request)  # Datasette 1.0 (0.65's CSRF check does this there)
            body = await read_body(request.receive, MAX_BODY_BYTES)
        except DatasetteLLMError as error:
            return json_response(
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": error.message}}, status=error.status
            )
    server = request.scope.get("server")
    raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope.get("headers") or []]
    handling = handle_http(
        datasette,
        request.actor,
        method=request.method,
        headers=request.headers,
        raw_headers=raw_headers,
        body=body,
        host=request.host,
        server_address=server[0] if server else None,
    )
    if request.method != "POST":
        reply = await handling
    else:  # a tool call (`ask` runs a model) is given up when its client goes away
        try:
            reply = await run_unless_disconnected(handling, request.receive)
        except ClientGone:
            return client_gone_response()
    return Response(
        reply.body(), status=reply.status, headers=reply.headers, content_type="application/json; charset=utf-8"
    )


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
        path = "/" + path[len(base) :]
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
