"""Turning results and errors into HTTP responses, in one place."""

from __future__ import annotations

import functools
import json
import logging

from datasette.utils import add_cors_headers
from datasette.utils.asgi import BadRequest as DatasetteBadRequest
from datasette.utils.asgi import Forbidden as DatasetteForbidden
from datasette.utils.asgi import NotFound as DatasetteNotFound
from datasette.utils.asgi import Request, Response
from datasette.views.base import DatasetteError

from ..errors import Busy, DatasetteLLMError, MethodNotAllowed
from ..fair_share import CLIENT, client_key
from ..sql.failures import READ_FAILURES, unreadable

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "Something went wrong; the server log has the details."


def json_bytes(data) -> bytes:
    """JSON as UTF-8. A lone surrogate in a string (echoed from input) is written as its \\uXXXX escape."""
    return json.dumps(data, default=str, ensure_ascii=False).encode("utf-8", "backslashreplace")


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json_bytes(data), status=status, headers=headers or {}, content_type="application/json; charset=utf-8"
    )


# The plugin's pages have buttons that change state ("This is right" saves a trusted example) and ask questions
# from their URL: no other page may frame them (clickjacking; found by an outside attacker in session 14).
NO_FRAMES = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def html_page(html: str, status: int = 200) -> Response:
    return Response.html(html, status=status, headers=dict(NO_FRAMES))


def error_response(error: DatasetteLLMError) -> Response:
    headers = {}
    if isinstance(error, Busy):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, MethodNotAllowed) and error.allow:
        headers["Allow"] = ", ".join(error.allow)
    return json_response(error.to_json(), status=error.status, headers=headers)


def datasette_error(error: DatasetteLLMError) -> Exception:
    """An error of a page as Datasette's own, so it shows Datasette's error page with the error's status (a busy
    guard's 503 was a 404 here)."""
    kind = {400: DatasetteBadRequest, 403: DatasetteForbidden, 404: DatasetteNotFound}.get(error.status)
    if kind is not None:
        return kind(error.message)
    return DatasetteError(error.message, status=error.status)


def internal_error_json() -> dict:
    return {"ok": False, "error": INTERNAL_ERROR, "code": "internal_error", "status": 500}


# Every response of the plugin's routes says its content type is meant: no browser reads a JSON body that echoes
# input as HTML or script (an outside tester noted none said so; session 35).
NO_SNIFF = {"X-Content-Type-Options": "nosniff"}


def as_route(view):
    """A view of the plugin as a route (web/routes.py wraps every one): a failed read is a 503 page, never
    Datasette's 500; and every response has NO_SNIFF (the event stream sets it itself: web/ask.py)."""

    @functools.wraps(view)  # keeps the signature: Datasette passes view arguments by their names
    async def wrapped(*args, **kwargs):
        # Datasette passes a view's arguments by position, in the order of its signature.
        request = next((arg for arg in (*args, *kwargs.values()) if isinstance(arg, Request)), None)
        # Who holds this request's places in the model's and the guard's queues (fair_share.py).
        client = CLIENT.set(client_key(request.actor, request.scope)) if request is not None else None
        try:
            response = await view(*args, **kwargs)
        except READ_FAILURES as error:
            raise datasette_error(unreadable(error)) from None
        finally:
            if client is not None:
                CLIENT.reset(client)
        if isinstance(getattr(response, "headers", None), dict):
            # A response's own headers, never a dict it shares: CORS headers added to a shared one reached every
            # later answer of another Datasette (this session's first try).
            response.headers = dict(response.headers)
            for name, value in NO_SNIFF.items():
                response.headers.setdefault(name, value)
            if _cors(args, kwargs, request, response):
                add_cors_headers(response.headers)
        return response

    return wrapped


def _cors(args, kwargs, request, response) -> bool:
    """Whether to add Datasette's CORS headers, as `datasette --cors` adds them to its own JSON: to what the plugin
    answers a GET that is not a page (JSON, the OpenAPI YAML). A request another site's page sends that could start a
    model run is a POST, refused as cross-site whatever these say (web/origins.py)."""
    datasette = next((arg for arg in (*args, *kwargs.values()) if hasattr(arg, "cors") and hasattr(arg, "urls")), None)
    return bool(
        getattr(datasette, "cors", False)
        and request is not None
        and request.method in ("GET", "HEAD")
        and not str(getattr(response, "content_type", "") or "").startswith("text/html")
    )


def json_errors(handler):
    """Decorator for JSON views: our errors keep their status; anything else is logged and becomes a 500."""

    @functools.wraps(handler)  # keeps the signature: Datasette passes view arguments by their names
    async def view(*args, **kwargs):
        try:
            return await handler(*args, **kwargs)
        except DatasetteLLMError as error:
            return error_response(error)
        except READ_FAILURES as error:
            return error_response(unreadable(error))
        except Exception:
            logger.exception("datasette-llm: unexpected error in %s", handler.__name__)
            return json_response(internal_error_json(), status=500)

    return view
