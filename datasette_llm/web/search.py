"""Semantic search on the web: the JSON API, the per-table search page and the table action linking to it."""

from __future__ import annotations

from datasette.utils import tilde_decode

from .. import permissions
from ..config import settings_for
from ..embeddings import MODES, semantic_search
from ..embeddings.targets import has_collection
from ..errors import DatasetteLLMError
from .origins import refuse_cross_site_fetch
from .request_body import require_method
from .responses import datasette_error, html_page, json_errors, json_response


def _search_args(request) -> dict:
    args = request.args
    return {"q": args.get("q"), "limit": args.get("limit", "10"), "mode": args.get("mode") or "hybrid"}


@json_errors
async def view(request, datasette):
    """GET /-/semantic-search?q=&database=&table=&limit=&mode= -> JSON hits."""
    # Any method ran the search and answered 200 (PUT, DELETE, TRACE...), where every other GET route of the agents'
    # API answers 405 and the spec publishes only GET (an outside tester's generated requests, session 53).
    require_method(request, "GET", "HEAD")
    refuse_cross_site_fetch(request)
    database = request.args.get("database") or None
    if database is not None:  # a hidden database gets the same 404 as a missing one
        await permissions.require_view_database(datasette, request.actor, database)
    else:  # every database the actor may see
        await permissions.require_view_instance(datasette, request.actor)
    result = await semantic_search(
        datasette, request.actor, database=database, table=request.args.get("table") or None, **_search_args(request)
    )
    return json_response(result.to_json())


async def page_view(request, datasette):
    """GET /{database}/{table}/-/semantic-search: the search page for one table."""
    database = tilde_decode(request.url_vars["database"])
    table = tilde_decode(request.url_vars["table"])
    args = _search_args(request)
    try:  # a missing or hidden table (or database) gets Datasette's own error page, the same for both
        await permissions.require_view_table(datasette, request.actor, database, table)
    except DatasetteLLMError as caught:
        raise datasette_error(caught) from None
    result, error, status = None, None, 200
    try:
        if (args["q"] or "").strip():
            refuse_cross_site_fetch(request)
            result = await semantic_search(datasette, request.actor, database=database, table=table, **args)
    except DatasetteLLMError as caught:
        error, status = caught.message, caught.status
    context = {
        "database": database,
        "table": table,
        "q": args["q"] or "",
        "mode": args["mode"],
        "modes": MODES,
        "limit": args["limit"],
        "has_fts": bool(await permissions.visible_fts_table(datasette, request.actor, database, table)),
        "error": error,
        "result": result.to_json() if result else None,
        "table_url": datasette.urls.table(database, table),
        "action": datasette.urls.table(database, table) + "/-/semantic-search",
    }
    html = await datasette.render_template("datasette_llm/semantic_search.html", context, request=request)
    return html_page(html, status=status)


async def table_actions(datasette, actor, database, table) -> list[dict]:
    """A "Semantic search" link on tables that have a collection and that the actor may view."""
    if not settings_for(datasette).enabled_for(database):
        return []
    try:
        if not await has_collection(datasette, database, table):
            return []
    except DatasetteLLMError:
        return []
    if not await permissions.can_view_table(datasette, actor, database, table):
        return []
    return [{"href": datasette.urls.table(database, table) + "/-/semantic-search", "label": "Semantic search"}]


ROUTES = [
    (r"^/-/semantic-search$", view),
    (r"^/(?P<database>[^/]+)/(?P<table>[^/]+)/-/semantic-search$", page_view),
]
