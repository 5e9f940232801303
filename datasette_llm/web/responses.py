"""Turning results and errors into HTTP responses, in one place."""

from __future__ import annotations

import functools
import json

from datasette.utils.asgi import Response

from ..errors import DatasetteLLMError, ModelBusy


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(data, default=str, ensure_ascii=False), status=status,
        headers=headers or {}, content_type="application/json; charset=utf-8",
    )


def error_response(error: DatasetteLLMError) -> Response:
    headers = {}
    if isinstance(error, ModelBusy):
        headers["Retry-After"] = str(error.retry_after)
    return json_response(error.to_json(), status=error.status, headers=headers)


def json_errors(handler):
    """Decorator for JSON views: any DatasetteLLMError becomes a JSON error with its status."""

    # functools.wraps keeps the signature: Datasette passes view arguments by their names.
    @functools.wraps(handler)
    async def view(*args, **kwargs):
        try:
            return await handler(*args, **kwargs)
        except DatasetteLLMError as error:
            return error_response(error)

    return view
