"""Ask on the web: the page, the JSON API, the server-sent event stream the page reads, and the links to them.

Views are thin: `read_ask_request` turns an HTTP request into an `AskRequest` (or raises BadRequest),
`new_pipeline` checks permissions and builds the `AskPipeline`, and `ask_payload` is the JSON both the API
and the stream's final `result` event carry.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from datasette.utils import tilde_decode
from datasette.utils.asgi import Response

from .. import permissions
from ..ask import charts
from ..ask.pipeline import AskPipeline
from ..ask.question import check_question, normalise_history
from ..ask.results import AskResult
from ..ask.route import ASK_MODES
from ..ask.text.rows import text_collections
from ..ask.warm_up import warm_up
from ..compat import sql_page_url
from ..config import Settings, settings_for
from ..errors import BadRequest, DatasetteLLMError
from ..keep import keep_links
from ..models import chat_model_for
from ..models.reply_cache import asker_key
from ..sql.execute import guard_limit
from ..sql.failures import READ_FAILURES, unreadable
from ..sql.written_back import laid_out
from .disconnect import ClientGone, client_gone_response, run_unless_disconnected
from .origins import browser_token, is_cross_site_fetch, opened_here, require_model_request
from .request_body import FORM, content_type, loads_json, read_object
from .responses import datasette_error, html_page, internal_error_json, json_bytes, json_errors, json_response

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_EXAMPLES = 4
NUMERIC_TYPES = ("INT", "REAL", "FLOA", "DOUB", "NUM", "DEC")
# Loaded by the page, in this order, when a result has a chart (see static/vendor/LICENSES.md).
VEGA_SCRIPTS = ("vendor/vega-5.33.1.min.js", "vendor/vega-lite-5.23.0.min.js")
# Datasette 0.65 draws every database heading with this colour (BaseView.database_color).
DATABASE_COLOR = "ff0000"


@dataclass(frozen=True)
class AskRequest:
    database: str
    question: str
    history: tuple[dict, ...] = ()
    table: str | None = None
    mode: str = "auto"  # "auto", or force a path: "sql", "text" (retrieval over embedded text) or "both"


# -- request parsing -------------------------------------------------------------------------------------


def build_ask_request(database: str, data: dict, settings: Settings) -> AskRequest:
    """Validate the fields of a request body into an AskRequest (everything, before any model is touched)."""
    question = data.get("question", data.get("q"))
    # Absent, null or "" (a form's empty field) is no table and the "auto" mode; any other value that is not text
    # is refused, as the MCP tool refuses it (false, 0, [] and {} were taken as absent: an outside tester, session 56)
    table, mode = data.get("table"), data.get("mode")
    if table is not None and not isinstance(table, str):
        raise BadRequest("table must be a string: the name of a table.")
    if mode is not None and not isinstance(mode, str):
        raise BadRequest(f"mode must be one of {', '.join(ASK_MODES)}; got {mode!r}.")
    table, mode = table or None, mode or "auto"
    if mode not in ASK_MODES:
        raise BadRequest(f"mode must be one of {', '.join(ASK_MODES)}; got {mode!r}.")
    return AskRequest(
        database=database,
        question=check_question(question, settings),
        history=tuple(normalise_history(data.get("history"))),
        table=table,
        mode=mode,
    )


async def read_ask_request(datasette, request, settings: Settings) -> AskRequest:
    """The AskRequest in a POST (JSON, or a form with the page's CSRF token): see origins.require_model_request."""
    require_model_request(datasette, request)
    database = tilde_decode(request.url_vars["database"])
    data = await read_object(request, MAX_BODY_BYTES, example='{"question": "..."}')
    if content_type(request.headers) == FORM:  # a form carries the history as a JSON string
        data["history"] = loads_json(data["history"], "The history field") if data.get("history") else None
    return build_ask_request(database, data, settings)


# -- the pipeline and its result ---------------------------------------------------------------------------


async def new_pipeline(datasette, request, ask_request: AskRequest, on_event=None) -> AskPipeline:
    """Check the actor may ask this database (404 before 403), then build its pipeline."""
    actor = request.actor
    settings = settings_for(datasette)
    await permissions.require_ask(datasette, actor, ask_request.database)
    if ask_request.table:
        await permissions.require_view_table(datasette, actor, ask_request.database, ask_request.table)
    tables = [ask_request.table] if ask_request.table else []
    return AskPipeline(
        datasette,
        ask_request.database,
        ask_request.question,
        actor=actor,
        history=list(ask_request.history),
        tables=tables,
        settings=settings,
        model=chat_model_for(settings),
        on_event=on_event,
        mode=ask_request.mode,
        asker=asker_key(actor, browser_token(datasette, request)),
    )


async def ask_payload(datasette, actor, result: AskResult) -> dict:
    """AskResult.to_json() plus the SQL formatted for reading, the chart that suits the rows (see charts.py),
    for actors who may run SQL a link to edit it on Datasette's SQL page and its CSV / JSON downloads, how
    to save it as a query (keep.py), and the SQL as a trusted example would keep it (`example_sql`)."""
    data = result.to_json()
    data["example_sql"] = example_sql(result, settings_for(datasette).max_rows)
    data["chart"] = charts.chart_for_result(data)
    # Off the event loop: sqlglot takes up to 90 ms on a long query (an outside attacker's model wrote 12 KB ones).
    # Laid out for reading, never another query (sql/written_back.py): the page showed, edited and saved sqlglot's
    # text of a cast beside the rows of the query that ran (an outside tester, session 58).
    data["sql_formatted"] = await asyncio.to_thread(laid_out, result.sql) if result.sql else None
    may_edit = result.sql and await permissions.can_execute_sql(datasette, actor, result.database)
    data["edit_sql_url"] = sql_page_url(datasette, result.database, data["sql_formatted"]) if may_edit else None
    data.update(await keep_links(datasette, actor, result.database, result.question, result.sql, data["sql_formatted"]))
    if not result.ok:  # a 422, which says its status and code as every error does (its attempts say why)
        data.update(status=422, code="no_valid_sql")
    return data


def example_sql(result: AskResult, max_rows: int) -> str | None:
    """The answer's SQL without the LIMIT the guard added (Ask adds it again), as "This is right" saves it."""
    added = f" LIMIT {guard_limit(int(max_rows))}"
    if result.sql and result.limit_added and result.sql.endswith(added):
        return result.sql[: -len(added)]
    return result.sql


# -- server-sent events --------------------------------------------------------------------------------


def sse_event(event: str, data) -> bytes:
    """One server-sent event; JSON has no raw newlines, so the data fits on one `data:` line."""
    return f"event: {event}\ndata: ".encode() + json_bytes(data) + b"\n\n"


class EventStream:
    """A text/event-stream response written with the raw ASGI `send`."""

    def __init__(self, send):
        self.send = send

    async def start(self):
        await self.send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-store"),  # as every answer of the plugin (web/shared_caches.py)
                    (b"x-accel-buffering", b"no"),  # ask nginx not to buffer the stream
                    (b"x-content-type-options", b"nosniff"),  # as every other response (web/responses.NO_SNIFF)
                ],
            }
        )

    async def event(self, name: str, data: dict):
        await self.send({"type": "http.response.body", "body": sse_event(name, data), "more_body": True})

    async def close(self):
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})


# -- views -----------------------------------------------------------------------------------------------


@json_errors
async def json_view(request, datasette):
    """POST {"question", "history", "table", "mode"} to /{database}/-/ask.json -> AskResult JSON."""
    ask_request = await read_ask_request(datasette, request, settings_for(datasette))
    pipeline = await new_pipeline(datasette, request, ask_request)
    try:
        result = await run_unless_disconnected(pipeline.run(), request.receive)
    except ClientGone:  # nobody is left to answer: the model's work was given up, not finished
        logger.info("datasette-llm: client disconnected; cancelled the question on %s", ask_request.database)
        return client_gone_response()
    return json_response(await ask_payload(datasette, request.actor, result), status=200 if result.ok else 422)


@json_errors
async def stream_view(request, datasette, send):
    """POST to /{database}/-/ask.stream: stage events, answer tokens, then `result` (or `error`)."""
    ask_request = await read_ask_request(datasette, request, settings_for(datasette))
    stream = EventStream(send)
    pipeline = await new_pipeline(datasette, request, ask_request, on_event=stream.event)
    # From here on the status is 200 and problems travel as `error` events.
    await stream.start()
    try:
        result = await run_unless_disconnected(pipeline.run(), request.receive)
        name, data = "result", await ask_payload(datasette, request.actor, result)
    except ClientGone:
        logger.info("datasette-llm: client disconnected; cancelled the question on %s", ask_request.database)
        return
    except DatasetteLLMError as error:
        name, data = "error", error.to_json()
    except READ_FAILURES as error:  # the 503 ask.json gives (an outside tester, session 60: it was a 500 here)
        name, data = "error", unreadable(error).to_json()
    except Exception:
        logger.exception("datasette-llm: unexpected error while streaming an answer")
        name, data = "error", internal_error_json()
    await stream.event(name, data)
    await stream.close()


async def page_view(request, datasette):
    """GET /{database}/-/ask(?table=&q=): the Ask page. Errors use Datasette's own error pages."""
    database = tilde_decode(request.url_vars["database"])
    settings = settings_for(datasette)
    table = request.args.get("table") or None
    try:
        await permissions.require_ask(datasette, request.actor, database)
        if table:
            await permissions.require_view_table(datasette, request.actor, database, table)
    except DatasetteLLMError as error:
        raise datasette_error(error) from None
    if settings.warm_up and request.method == "GET" and not is_cross_site_fetch(request):
        start_warm_up(datasette, request.actor, database, [table] if table else [])
    from .examples import ask_page_links  # web/examples.py imports this module

    base = datasette.urls.database(database)
    try:  # a schema that keeps changing while it is read (SchemaChanged) is a 503 page, not a traceback
        links = await ask_page_links(datasette, request.actor, database)
        examples = await example_questions(datasette, request.actor, database, settings, table)
        has_text = bool(await text_collections(datasette, request.actor, database, settings.table_prefix))
    except DatasetteLLMError as error:
        raise datasette_error(error) from None
    context = {
        **links,
        "database": database,
        "table": table,
        "database_url": base,
        "table_url": datasette.urls.table(database, table) if table else None,
        "examples": examples,
        "has_text": has_text,
        "question": request.args.get("q") or request.args.get("question") or "",
        "ask_now": opened_here(request),
        "database_color": DATABASE_COLOR,
        "max_question_chars": settings.max_question_chars,
        "truncate_cells": datasette.setting("truncate_cells_html") or 0,  # Datasette's own, for its tables too
        "stream_url": base + "/-/ask.stream",
        "ask_css": datasette.urls.static_plugins("datasette-llm", "ask.css"),
        "ask_js": datasette.urls.static_plugins("datasette-llm", "ask.js"),
        "chart_scripts": [datasette.urls.static_plugins("datasette-llm", path) for path in VEGA_SCRIPTS],
    }
    html = await datasette.render_template("datasette_llm/ask.html", context, request=request)
    return html_page(html)


_WARMING: set[asyncio.Task] = set()  # strong references: the event loop keeps only weak ones


def start_warm_up(datasette, actor, database: str, tables: list[str]) -> asyncio.Task:
    """Read the schema into the model's prompt cache in the background while the visitor types."""

    async def run():
        try:
            return await warm_up(
                datasette, database, actor, tables=tables, model=chat_model_for(settings_for(datasette))
            )
        except Exception:  # a warm-up is an optimisation: the question itself reports real problems
            logger.debug("datasette-llm: warm-up of %s failed", database, exc_info=True)
            return False

    task = asyncio.create_task(run())
    _WARMING.add(task)
    task.add_done_callback(_WARMING.discard)
    return task


async def index_view(request, datasette):
    """GET /-/ask: the databases the actor may ask, or a redirect when there is only one."""
    try:
        await permissions.require_view_instance(datasette, request.actor)
    except DatasetteLLMError as error:
        raise datasette_error(error) from None
    databases = await askable_databases(datasette, request.actor)
    if len(databases) == 1:
        return Response.redirect(datasette.urls.database(databases[0]) + "/-/ask")
    links = [{"name": name, "href": datasette.urls.database(name) + "/-/ask"} for name in databases]
    html = await datasette.render_template("datasette_llm/ask_index.html", {"databases": links}, request=request)
    return html_page(html)


# -- what to suggest, and where to link from ---------------------------------------------------------------


async def askable_databases(datasette, actor) -> list[str]:
    settings = settings_for(datasette)
    return [
        name
        for name in datasette.databases
        if name != "_internal" and settings.enabled_for(name) and await permissions.can_ask(datasette, actor, name)
    ]


def questions_for_table(table: str, columns: list) -> list[str]:
    """Two starter questions for a table: its size, and its top rows by a numeric column (if any)."""
    questions = [f"How many rows are in {table}?"]
    numeric = [
        c.name
        for c in columns
        if not c.is_pk
        and c.name.lower() != "id"
        and not c.name.lower().endswith("_id")
        and any(kind in (c.type or "").upper() for kind in NUMERIC_TYPES)
    ]
    if numeric:
        questions.append(f"Show 10 {table} with the highest {numeric[0]}")
    return questions


async def example_questions(datasette, actor, database: str, settings: Settings, table: str | None = None) -> list[str]:
    """The configured `example_questions` for the database, else questions made from its first tables."""
    configured = settings.example_questions.get(database)
    if configured and not table:
        return [configured] if isinstance(configured, str) else list(configured)
    from datasette.utils import table_column_details

    def read(conn, visible):  # column lists at the version the names were decided at (sql/snapshot.py)
        names = [table] if table else [name for name in visible.names if name not in visible.views]
        questions: list[str] = []
        for name in names:
            if len(questions) >= MAX_EXAMPLES:
                break
            if name in visible.names:
                questions.extend(questions_for_table(name, table_column_details(conn, name)))
        return questions

    _, questions = await permissions.read_visible(datasette, actor, database, read, table_prefix=settings.table_prefix)
    return questions[:MAX_EXAMPLES]


async def database_actions(datasette, actor, database) -> list[dict]:
    if not settings_for(datasette).enabled_for(database):
        return []
    if not await permissions.can_ask(datasette, actor, database):
        return []
    return [{"href": datasette.urls.database(database) + "/-/ask", "label": "Ask a question"}]


async def table_actions(datasette, actor, database, table) -> list[dict]:
    if not settings_for(datasette).enabled_for(database):
        return []
    if not await permissions.can_ask(datasette, actor, database):
        return []
    href = datasette.urls.database(database) + "/-/ask?" + urlencode({"table": table})
    return [{"href": href, "label": "Ask about this table"}]


async def menu_links(datasette, actor) -> list[dict]:
    if not await askable_databases(datasette, actor):
        return []
    return [{"href": datasette.urls.path("/-/ask"), "label": "Ask a question"}]


ROUTES = [
    (r"^/-/ask$", index_view),
    (r"^/(?P<database>[^/]+)/-/ask$", page_view),
    (r"^/(?P<database>[^/]+)/-/ask\.json$", json_view),
    (r"^/(?P<database>[^/]+)/-/ask\.stream$", stream_view),
]
