"""Teaching Ask on the web: the page of a database's trusted examples and feedback, and their JSON endpoints.

- `GET /-/llm/{database}/examples` (the page) and `.json`, `POST .../examples` (add one),
  `POST .../examples/{id}/remove`: actors with `llm-teach` on the database.
- Feedback is posted and removed through web/feedback.py, with the request rules and removal of this module.

Permissions are in permissions/, the store and the guard in datasette_llm/examples/. A POST body is JSON,
or a url-encoded form from the examples page, which answers with a message and a redirect back to the page;
`origins.require_same_site_body` keeps other sites' pages out, as it does for questions. Listings leave out
the examples and feedback whose SQL reads a table the actor may not see, or that the guard refused, and only
what a listing shows can be removed (examples/check.py: `shown_to`).
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import Response

from .. import permissions
from ..config import settings_for
from ..errors import BadRequest, DatasetteLLMError, MethodNotAllowed, NotFound, StoreFull
from ..examples.check import (
    actor_schemas,
    add_one,
    as_judged_by,
    database_schema,
    fill_checks,
    recheck,
    rejection_reason,
    shown_to,
    viewer_tables,
)
from ..examples.store import ExampleStore
from ..sql.guard import check_select_off_loop
from .origins import require_same_site_body
from .request_body import FORM, content_type, read_object
from .responses import datasette_error, html_page, json_errors, json_response

logger = logging.getLogger("datasette_llm")

MAX_BODY_BYTES = 256 * 1024  # a question, up to 20,000 characters of SQL and a comment, with room for escapes
ADD_EXAMPLE = '{"question": "...", "sql": "select ..."}'
CROSS_SITE = "Requests from another site may not change trusted examples or feedback."


def llm_path(datasette, database: str, *parts: str) -> str:
    """/-/llm/{database}/{parts...}, with the instance's base_url and the database name tilde-encoded."""
    return datasette.urls.path("/-/llm/" + "/".join([tilde_encode(database), *parts]))


async def ask_page_links(datasette, actor, database: str) -> dict:
    """What the Ask page needs for its feedback buttons: where to send feedback, and for actors with llm-teach
    the examples page (whose presence also shows "This is right")."""
    may_teach = await permissions.can_teach(datasette, actor, database)
    return {
        "feedback_url": llm_path(datasette, database, "feedback"),
        "teach_url": llm_path(datasette, database, "examples") if may_teach else None,
    }


# -- requests --------------------------------------------------------------------------------------------


def store_for(datasette) -> ExampleStore:
    return ExampleStore.for_settings(settings_for(datasette))


def database_of(request) -> str:
    return tilde_decode(request.url_vars["database"])


def as_id(raw: str) -> int | None:
    """A row id written in a URL (ASCII digits, at most 18 of them: within SQLite's integers), else None."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def row_id(request, what: str, database: str) -> int:
    raw = request.url_vars["id"]
    number = as_id(raw)
    if number is None:
        raise NotFound(f"There is no {what} {raw!r} in {database!r}.")
    return number


def require_post(request, allow: tuple[str, ...] = ("POST",)) -> None:
    if request.method != "POST":
        raise MethodNotAllowed(
            f"Send this with POST, as JSON (Content-Type: application/json), not {request.method}.", allow=allow
        )


def require_post_from_this_site(datasette, request, example: str, allow: tuple[str, ...] = ("POST",)) -> str:
    """The database of a POST that changes examples or feedback, after checking the method (405) and where the
    body comes from (415, 403)."""
    require_post(request, allow)
    unsupported = f"Send the body as application/json, such as {example}."
    require_same_site_body(datasette, request, unsupported=unsupported, cross_site=CROSS_SITE)
    return database_of(request)


async def teach_request(datasette, request, example: str = "{}", allow: tuple[str, ...] = ("POST",)) -> str:
    """require_post_from_this_site, then that the actor may teach the database (404, 403)."""
    database = require_post_from_this_site(datasette, request, example, allow)
    await permissions.require_teach(datasette, request.actor, database)
    return database


def text_field(data: dict, name: str, example: str, *, required: bool = True) -> str | None:
    """A text field of the body; a missing or blank one is a 400 when required (the store checks lengths)."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadRequest(f"The field {name!r} is missing or empty; send {example}.")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"The field {name!r} must be text.")
    return value


MAX_REFILL_CHARS = 4_000  # of a form's fields sent back through the redirect's URL; longer ones are not refilled


def from_page(request) -> bool:
    """A url-encoded form: the examples page's own, answered with a message and a redirect back to it."""
    return content_type(request.headers) == FORM


def answer(
    datasette, request, database: str, data: dict, status: int, message: str, kind=None, refill: dict | None = None
) -> Response:
    """JSON with this status, or for the page's forms the message and a redirect back to the page (with the
    form's fields filled in again from `refill`)."""
    if not from_page(request):
        return json_response(data, status=status)
    datasette.add_message(request, message, datasette.INFO if kind is None else kind)
    query = urlencode(refill) if refill else ""
    # A refused 200 KB query refilled through the URL made a 200 KB Location header (a proxy's 502).
    again = "?" + query + "#add" if query and len(query) <= MAX_REFILL_CHARS else ""
    return Response.redirect(llm_path(datasette, database, "examples") + again)


# -- what a teacher sees ------------------------------------------------------------------------------------


FEEDBACK_PAGE = 100  # feedback items a listing shows at once, newest first


async def listing(datasette, actor, database: str, feedback_before: int | None = None) -> dict:
    """The examples (checked again first if the schema changed) and a page of the feedback that `shown_to` shows
    the actor, newest first, older than `feedback_before` when given (the rest counted in `not_shown`).

    Anyone who may ask may send feedback, so it is read a page at a time: only the ids and checks of the rest."""
    store = store_for(datasette)
    schema = await permissions.get_database(datasette, database).execute_fn(database_schema)
    await recheck(datasette, database, store, schema)
    # One read of both (a "right" writes both at once), each example as the schema read above judges it.
    examples, checks = await asyncio.to_thread(store.examples_and_feedback_checks, database)
    examples = await fill_checks(datasette, database, store, await as_judged_by(examples, schema), schema)
    viewer = await viewer_tables(datasette, actor, database)
    shown = [example for example in examples if shown_to(example, viewer)]
    unchecked = [check.id for check in checks if check.names is None]  # stored before checks were kept
    if unchecked:
        await fill_checks(
            datasette, database, store, await asyncio.to_thread(store.feedback_by_ids, database, unchecked)
        )
        checks = await asyncio.to_thread(store.feedback_checks, database)
    visible = [check.id for check in checks if shown_to(check, viewer)]
    after = [i for i in visible if feedback_before is None or i < feedback_before][: FEEDBACK_PAGE + 1]
    page = await asyncio.to_thread(store.feedback_by_ids, database, after[:FEEDBACK_PAGE])
    set_aside = [example for example in shown if example.status == "set_aside"]
    return {
        "ok": True,
        "database": database,
        "examples": [entry_json(example) for example in shown if example.status == "active"],
        "set_aside": await set_aside_json(datasette, actor, database, set_aside, viewer),
        "feedback": [item.to_json() for item in page],
        "feedback_count": len(visible),
        "feedback_before": page[-1].id if len(after) > FEEDBACK_PAGE else None,
        "not_shown": {"examples": len(examples) - len(shown), "feedback": len(checks) - len(visible)},
    }


def feedback_before(request) -> int | None:
    """The `feedback_before` id of a listing's next page (400 when it is not one)."""
    raw = request.args.get("feedback_before")
    if raw is None:
        return None
    number = as_id(raw)
    if number is None:
        raise BadRequest("feedback_before must be the id of a piece of feedback, as the listing gives it.")
    return number


def entry_json(entry) -> dict:
    """An example or feedback as the web shows it: without an example's `schema_hash`, a hash of the whole schema,
    hidden tables included, that an outside tester matched offline against guesses of the hidden names (the CLI,
    which reads the database file itself, still shows it)."""
    data = entry.to_json()
    data.pop("schema_hash", None)
    return data


SET_ASIDE = "the query no longer passes the guard against the database's current schema"


async def set_aside_json(datasette, actor, database: str, examples: list, viewer) -> list[dict]:
    """Set-aside examples with why: the guard's reason over the tables this viewer may see, found again now. The
    stored reason comes from the whole schema, hidden tables included; replaced when it named a hidden table, it
    still told, by being replaced, which hidden tables have a column of a given name (an outside tester, session
    22). Someone who may see every table is shown the stored reason."""
    if not examples:
        return []
    shown = [entry_json(example) for example in examples]
    if viewer.sees_all:
        return shown
    allowed, visible, _ = await actor_schemas(datasette, actor, database)
    for data, example in zip(shown, examples):
        reason = rejection_reason(await check_select_off_loop(example.sql, visible, allowed_tables=allowed))
        data["reason"] = reason or SET_ASIDE
    return shown


@json_errors
async def list_view(request, datasette):
    """GET /-/llm/{database}/examples.json: the trusted examples (active and set aside) and the feedback of a
    database, for actors with llm-teach."""
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("This is read with GET.", allow=("GET",))
    database = database_of(request)
    await permissions.require_teach(datasette, request.actor, database)
    return json_response(await listing(datasette, request.actor, database, feedback_before(request)))


async def examples_view(request, datasette):
    """GET /-/llm/{database}/examples: the page of trusted examples and feedback (llm-teach). POST JSON
    {"question", "sql"} there to add an example: 201, 200 if it is there already, 400 with the guard's reason."""
    if request.method in ("GET", "HEAD"):
        return await page_view(request, datasette)
    return await add_view(request, datasette)


def when(timestamp: str) -> str:
    """2025-05-01T09:30:00+00:00 as 2025-05-01 09:30 UTC."""
    return timestamp[:16].replace("T", " ") + " UTC" if timestamp.endswith("+00:00") else timestamp


async def page_view(request, datasette):
    database = database_of(request)
    try:
        await permissions.require_teach(datasette, request.actor, database)
        before = feedback_before(request)
        data = await listing(datasette, request.actor, database, before)
    except DatasetteLLMError as error:  # the guard's queue full (GuardBusy) too: a 503, not a traceback
        raise datasette_error(error) from None

    def remove_url(kind: str, item: dict) -> str:
        return llm_path(datasette, database, kind, str(item["id"]), "remove")

    examples = [
        {**item, "when": when(item["added_at"]), "remove_url": remove_url("examples", item)}
        for item in data["examples"] + data["set_aside"]
    ]
    feedback = [
        {
            **item,
            "when": when(item["created_at"]),
            "remove_url": remove_url("feedback", item),
            "correct_url": correct_url(item),
        }
        for item in data["feedback"]
    ]
    context = {
        "database": database,
        "examples": [item for item in examples if item["status"] == "active"],
        "set_aside": [item for item in examples if item["status"] == "set_aside"],
        "feedback": feedback,
        "feedback_count": data["feedback_count"],
        "older_feedback_url": (
            "?" + urlencode({"feedback_before": data["feedback_before"]}) + "#feedback"
            if data["feedback_before"] is not None
            else None
        ),
        "not_shown": data["not_shown"],
        "add_url": llm_path(datasette, database, "examples"),
        "json_url": llm_path(datasette, database, "examples.json"),
        "ask_url": datasette.urls.database(database) + "/-/ask",
        "question": request.args.get("question") or "",
        "sql": request.args.get("sql") or "",
        "max_question_chars": settings_for(datasette).max_question_chars,
        "ask_css": datasette.urls.static_plugins("datasette-llm", "ask.css"),
    }
    html = await datasette.render_template("datasette_llm/llm_examples.html", context, request=request)
    return html_page(html)


def correct_url(item: dict) -> str:
    """The link that fills the Add form with a piece of feedback's question and SQL (the SQL left out when the
    link would be longer than MAX_REFILL_CHARS: a page of feedback must not be megabytes of links)."""
    fields = {"question": item["question"], "sql": item["sql"] or ""}
    query = urlencode(fields)
    if len(query) > MAX_REFILL_CHARS:
        query = urlencode({"question": item["question"][: MAX_REFILL_CHARS // 3]})
    return "?" + query + "#add"


# -- changing examples ---------------------------------------------------------------------------------------


@json_errors
async def add_view(request, datasette):
    database = await teach_request(datasette, request, ADD_EXAMPLE, allow=("GET", "POST"))
    data = await read_object(request, MAX_BODY_BYTES, example=ADD_EXAMPLE)
    try:
        # a field of only spaces (the page's `required` lets it through) is told on the page too, not as JSON
        question = text_field(data, "question", ADD_EXAMPLE)
        sql = text_field(data, "sql", ADD_EXAMPLE)
        outcome = await add_one(datasette, database, question, sql, actor=request.actor, store=store_for(datasette))
    except (BadRequest, StoreFull) as refused:
        if not from_page(request):
            raise
        refill = {key: data[key] for key in ("question", "sql") if isinstance(data.get(key), str)}
        return answer(datasette, request, database, {}, refused.status, refused.message, datasette.ERROR, refill)
    example = outcome.example
    added = outcome.status == "added"
    message = f"{'Added' if added else 'Already there:'} example #{example.id}, “{example.question}”."
    body = {"ok": True, "status": outcome.status, "example": entry_json(example)}
    return answer(datasette, request, database, body, 201 if added else 200, message)


def no_such_row(what: str, row_id: int, database: str) -> NotFound:
    """The one 404 for an example or feedback that is not there or that the viewer may not see."""
    return NotFound(f"There is no {what} #{row_id} in {database!r}.")


async def visible_row(datasette, actor, database: str, what: str, row, row_id: int, store: ExampleStore):
    """The example or feedback row, or the same 404 whether it does not exist or a listing would not show it."""
    if row is not None:
        (row,) = await fill_checks(datasette, database, store, [row])
    if row is None or not shown_to(row, await viewer_tables(datasette, actor, database)):
        raise no_such_row(what, row_id, database)
    return row


async def remove_row(request, datasette, what: str, get, remove):
    database = await teach_request(datasette, request)
    store = store_for(datasette)
    try:
        number = row_id(request, what, database)
        row = await visible_row(
            datasette,
            request.actor,
            database,
            what,
            await asyncio.to_thread(get, store, database, number),
            number,
            store,
        )
        if not await asyncio.to_thread(remove, store, database, number):
            # Removed by someone else since it was read: 20 removes of one entry at once all said "removed" (an
            # outside tester, session 36).
            raise no_such_row(what, number, database)
    except NotFound as missing:
        if not from_page(request):
            raise
        return answer(datasette, request, database, {}, 404, missing.message, datasette.WARNING)
    body = {"ok": True, "removed": entry_json(row)}
    return answer(datasette, request, database, body, 200, f"Removed {what} #{number}, “{row.question}”.")


@json_errors
async def remove_example_view(request, datasette):
    """POST /-/llm/{database}/examples/{id}/remove: remove a trusted example (llm-teach)."""
    return await remove_row(request, datasette, "example", ExampleStore.get, ExampleStore.remove)


ROUTES = [
    (r"^/-/llm/(?P<database>[^/]+)/examples\.json$", list_view),
    (r"^/-/llm/(?P<database>[^/]+)/examples$", examples_view),
    (r"^/-/llm/(?P<database>[^/]+)/examples/(?P<id>[^/]+)/remove$", remove_example_view),
]
