"""Reading requests: the methods a route takes; bodies, with a size cap for every content type, JSON and forms
parsed into plain text only.

A string that cannot be encoded as UTF-8 (a lone surrogate sent as the JSON escape "\\ud800") is refused here,
so it never reaches SQLite, a model or a response encoder.
"""

from __future__ import annotations

import contextvars
import json
import threading
from contextlib import contextmanager
from urllib.parse import parse_qsl

from ..errors import BadRequest, Busy, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType
from ..fair_share import TooManyOfYours, count_down
from ..json_text import TooDeep, is_text

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def require_method(request, *allowed: str) -> None:
    """A 405 naming the methods the route takes (its `Allow` header too), for any other."""
    if request.method not in allowed:
        raise MethodNotAllowed(f"Use {' or '.join(allowed)}.", allow=allowed)


def content_type(headers) -> str:
    """The media type of a request, lower case, without parameters ("" when there is none)."""
    return (headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def scope_content_type(scope) -> str:
    """content_type() of a request's ASGI scope, read from its raw headers (for the ASGI wrappers)."""
    raw = dict(scope.get("headers") or []).get(b"content-type", b"")
    return content_type({"content-type": raw.decode("latin-1")})


# Bodies held at once by every request the plugin reads, past which a request's body beyond SMALL_BODY_BYTES is a
# 503: each route caps its own body (MCP's at 4 MB), but nothing capped how many were held at once, and 128 MCP
# requests sent together held 1 GB that the allocator kept after (an outside tester, session 38). A small body
# (every question, search and query) is counted but never refused for that, so large ones held open cannot shut it
# out. One address holds at most CLIENT_BODY_BYTES, small bodies included, past which it gets a 429: a second
# tester's one client held the whole bound with 25 stalled bodies, and 3,000 stalled small ones took +214 MB.
# A body is counted once, as the plugin's ASGI wrapper reads it (web/body_limits.py); the route's read of the
# replayed body is not counted again (it was, so a body over 32 KB lost its small pass).
BODIES_HELD_BYTES = 96 * 1024 * 1024
CLIENT_BODY_BYTES = 24 * 1024 * 1024
SMALL_BODY_BYTES = 64 * 1024
_held = [0]  # bytes held by every account
_by_client: dict[str | None, int] = {}  # of those, by the address that sent them
_held_lock = threading.Lock()


class BodyAccount:
    """What one request's body holds, and whose it is; `replayed`: read already, what is read again is a copy."""

    def __init__(self, client: str | None):
        self.client, self.bytes, self.replayed = client, 0, False


_ACCOUNT: contextvars.ContextVar[BodyAccount | None] = contextvars.ContextVar(
    "datasette_llm_body_account", default=None
)


@contextmanager
def body_account(client: str | None = None):
    """What the request bodies read within this block hold counts against BODIES_HELD_BYTES, and against the
    client's CLIENT_BODY_BYTES, until it ends."""
    account = BodyAccount(client)
    token = _ACCOUNT.set(account)
    try:
        yield account
    finally:
        _ACCOUNT.reset(token)
        with _held_lock:
            _held[0] -= account.bytes
            count_down(_by_client, client, account.bytes)


def _hold(size: int) -> None:
    account = _ACCOUNT.get()
    if account is None or account.replayed:  # in process, or a copy of a body counted already
        return
    with _held_lock:
        if account.client is not None and _by_client.get(account.client, 0) + size > CLIENT_BODY_BYTES:
            raise TooManyOfYours(
                "You are sending more at once than one client may; try again when your other requests have ended.",
                retry_after=2,
            )
        if account.bytes + size > SMALL_BODY_BYTES and _held[0] + size > BODIES_HELD_BYTES:
            raise Busy(
                "The server is holding too many large requests right now; try again in a few seconds.",
                retry_after=2,
            )
        _held[0] += size
        _by_client[account.client] = _by_client.get(account.client, 0) + size
        account.bytes += size


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit:,} bytes.")


async def read_body(receive, limit: int) -> bytes:
    """The whole body, refusing (413) to hold more than `limit` bytes, (429) more than one client may hold at once
    or (503) more than the server holds for every request at once."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message.get("type") != "http.request":
            raise BadRequest("The client disconnected before sending the whole request.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        _hold(len(chunk))
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None


def loads_json(text: str | bytes, what: str = "The request body"):
    """Parsed JSON, or BadRequest for invalid JSON, nesting too deep or a lone surrogate escape."""
    if isinstance(text, bytes):
        text = _decode(text)
    try:
        value = json.loads(text)
        text_only = is_text(value)
    except TooDeep:
        raise BadRequest(f"{what} is not valid JSON: it nests too deeply.") from None
    except (ValueError, RecursionError) as error:
        detail = f": {error}" if isinstance(error, json.JSONDecodeError) else ""
        raise BadRequest(f"{what} is not valid JSON{detail}.") from None
    if not text_only:
        raise BadRequest(f"{what} contains a lone surrogate escape (\\ud800-\\udfff), which is not text.")
    return value


def parse_form(body: bytes) -> dict:
    """An application/x-www-form-urlencoded body as {name: last value}."""
    return dict(parse_qsl(_decode(body), keep_blank_values=True))


async def read_object(request, limit: int, *, example: str, forms: bool = True) -> dict:
    """A POST body as a dict: a JSON object, or (if `forms`) a url-encoded form; other types are a 415."""
    kind = content_type(request.headers)
    if kind == JSON:
        body = await read_body(request.receive, limit)
        if not body.strip():
            return {}
        data = loads_json(body)
        if not isinstance(data, dict):
            raise BadRequest(f"The request body must be a JSON object such as {example}.")
        return data
    if kind == FORM and forms:
        return parse_form(await read_body(request.receive, limit))
    accepted = f"{JSON} or {FORM}" if forms else JSON
    raise UnsupportedMediaType(f"Send the body as {accepted}, such as {example}.")
