"""MCP's Streamable HTTP transport, as pure functions of (method, headers, body) -> reply.

Responses are always `application/json` (the transport allows JSON instead of an SSE stream); GET is 405
because the server never sends unprompted messages. Era routing follows the `MCP-Protocol-Version`
header: a handshake revision (or none: assumed 2025-03-26) uses `initialize` and `Mcp-Session-Id`; 2026-07-28
requests stand alone, their `params._meta` envelope checked against the routing headers.

Session ids are signed by Datasette's secret and name the negotiated revision, so the server keeps no
state but a list of sessions ended with DELETE. A session grants nothing: every request is authorised on
its own (cookie or `Authorization: Bearer dstok_...`).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from itsdangerous import BadData

from ...json_text import is_text
from ..rebinding import origin_allowed
from .dispatch import (
    CLIENT_CAPABILITIES_META_KEY,
    DEFAULT_HTTP_VERSION,
    HANDSHAKE_VERSIONS,
    HEADER_MISMATCH,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MODERN_VERSIONS,
    PARSE_ERROR,
    PROTOCOL_VERSION_META_KEY,
    UNSUPPORTED_PROTOCOL_VERSION,
    error_response,
    handle_message,
    valid_id,
)

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_BATCH_MESSAGES = 20  # each message may run a query or a model: a batch must not multiply that unbounded
# ... nor its time: no message of a batch starts after this many seconds (20 queries that each ran to a 1 s time
# limit held one request for 20 s, found by an outside tester in session 16); the rest are answered BATCH_TIMEOUT.
BATCH_SECONDS = 10.0
BATCH_TIMEOUT = -32004
SESSION_NAMESPACE = "datasette-llm-mcp-session"
ENDED_SESSIONS_KEPT = 10_000
BATCH_VERSIONS = ("2024-11-05", "2025-03-26")  # JSON-RPC batches were removed in 2025-06-18
MODERN_STATUS = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}
NAME_BEARING = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
ROUTING_HEADERS = ("mcp-protocol-version", "mcp-method", "mcp-name")
JSON_RANGES = ("application/json", "application/*", "*/*")  # the Accept ranges that match JSON, most specific first


@dataclass
class Reply:
    status: int
    data: object = None  # JSON body; None means an empty body
    headers: dict = field(default_factory=dict)

    def body(self) -> bytes:
        """UTF-8 JSON; a lone surrogate echoed from a request is written as its \\uXXXX escape."""
        if self.data is None:
            return b""
        return json.dumps(self.data, ensure_ascii=False).encode("utf-8", "backslashreplace")


def _accepts_json(accept: str | None) -> bool:
    """Whether an Accept header takes JSON: the most specific of its ranges that matches JSON decides, and a
    weight of `q=0` there means "not acceptable" (RFC 9110 12.5.1; `application/json;q=0, */*` takes no JSON)."""
    if not accept:
        return True
    weights = {}
    for part in accept.split(","):
        media_type, *parameters = (piece.strip().lower() for piece in part.split(";"))
        if media_type in JSON_RANGES:
            q = [value.strip() for name, _, value in (p.partition("=") for p in parameters) if name.strip() == "q"]
            weights.setdefault(media_type, q[0] if q else "1")
    for media_type in JSON_RANGES:  # most specific first
        if media_type in weights:
            try:
                return float(weights[media_type]) != 0
            except ValueError:
                return True  # a weight that is no number: as if none were given
    return False


def _http_error(status: int, code: int, message: str, headers: dict | None = None) -> Reply:
    return Reply(status, error_response(None, code, message), headers or {})


# Sessions ---------------------------------------------------------------------------------------------------


def new_session_id(datasette, protocol_version: str) -> str:
    return datasette.sign({"v": protocol_version, "n": secrets.token_hex(8)}, SESSION_NAMESPACE)


def _ended(datasette) -> OrderedDict:
    ended = getattr(datasette, "_datasette_llm_mcp_ended_sessions", None)
    if ended is None:
        ended = OrderedDict()
        datasette._datasette_llm_mcp_ended_sessions = ended
    return ended


def session_version(datasette, session_id: str) -> str | None:
    """The revision a live session negotiated, or None for a forged, foreign or ended session id."""
    if session_id in _ended(datasette):
        return None
    try:
        data = datasette.unsign(session_id, SESSION_NAMESPACE)
    except BadData:
        return None
    version = data.get("v") if isinstance(data, dict) else None
    return version if version in HANDSHAKE_VERSIONS else None


def end_session(datasette, session_id: str) -> None:
    ended = _ended(datasette)
    ended[session_id] = True
    while len(ended) > ENDED_SESSIONS_KEPT:
        ended.popitem(last=False)


# Requests ---------------------------------------------------------------------------------------------------


def _envelope_version(message):
    if isinstance(message, dict) and isinstance(message.get("params"), dict):
        meta = message["params"].get("_meta")
        if isinstance(meta, dict):
            return meta.get(PROTOCOL_VERSION_META_KEY)
    return None


async def handle_http(
    datasette,
    actor,
    *,
    method: str,
    headers: dict,
    raw_headers=(),
    body: bytes = b"",
    host: str | None = None,
    server_address: str | None = None,
) -> Reply:
    """One HTTP exchange on the MCP endpoint. `headers` has lowercase names; `raw_headers` keeps duplicates."""
    if not origin_allowed(headers.get("origin"), host, server_address):
        return _http_error(403, INVALID_REQUEST, "Forbidden: requests from this Origin are not allowed")
    session_id = headers.get("mcp-session-id")
    if method == "DELETE":
        if not session_id:
            return _http_error(400, INVALID_REQUEST, "DELETE needs the Mcp-Session-Id header")
        if session_version(datasette, session_id) is None:
            return _http_error(404, -32001, "Session not found")
        end_session(datasette, session_id)
        return Reply(204)
    if method != "POST":
        return Reply(
            405,
            error_response(
                None,
                INVALID_REQUEST,
                "Method not allowed: POST JSON-RPC messages here (this server sends no server-initiated streams)",
            ),
            {"Allow": "POST, DELETE"},
        )
    if not _accepts_json(headers.get("accept")):
        return _http_error(406, INVALID_REQUEST, "Not Acceptable: this server answers with application/json")
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _http_error(415, INVALID_REQUEST, "Unsupported Media Type: send application/json")
    if len(body) > MAX_BODY_BYTES:
        return _http_error(413, INVALID_REQUEST, f"The request body is larger than {MAX_BODY_BYTES:,} bytes")
    try:
        message = json.loads(body)
        text_only = is_text(message)
    except (ValueError, RecursionError):  # TooDeep too
        return _http_error(400, PARSE_ERROR, "Parse error: the body is not valid JSON")
    if not text_only:
        return _http_error(
            400,
            PARSE_ERROR,
            "Parse error: the body contains a lone surrogate escape (\\ud800-\\udfff), which is not text",
        )

    header_version = headers.get("mcp-protocol-version")
    if header_version in MODERN_VERSIONS or (
        header_version not in HANDSHAKE_VERSIONS and _envelope_version(message) is not None
    ):
        return await _handle_modern(datasette, actor, message, headers, raw_headers)
    if header_version is not None and header_version not in HANDSHAKE_VERSIONS:
        return _http_error(
            400,
            INVALID_REQUEST,
            f"Unsupported MCP-Protocol-Version {header_version!r}. "
            f"Supported: {', '.join(HANDSHAKE_VERSIONS + MODERN_VERSIONS)}",
        )
    return await _handle_handshake_era(datasette, actor, message, header_version, session_id)


async def _handle_handshake_era(datasette, actor, message, header_version, session_id) -> Reply:
    negotiated = None
    if session_id:
        negotiated = session_version(datasette, session_id)
        if negotiated is None:
            return _http_error(404, -32001, "Session not found: initialize a new session")
    version = header_version or negotiated or DEFAULT_HTTP_VERSION
    if isinstance(message, list):
        if version not in BATCH_VERSIONS:
            return _http_error(
                400,
                INVALID_REQUEST,
                f"Invalid Request: protocol revision {version} does not "
                "allow JSON-RPC batches; send one message per POST",
            )
        if not message:
            return _http_error(400, INVALID_REQUEST, "Invalid Request: empty batch")
        if len(message) > MAX_BATCH_MESSAGES:
            return _http_error(
                400,
                INVALID_REQUEST,
                f"Invalid Request: a batch holds at most {MAX_BATCH_MESSAGES} messages; got {len(message)}",
            )
        responses = []
        started = time.monotonic()
        for item in message:
            if time.monotonic() - started > BATCH_SECONDS and _is_request(item):
                # Requests are answered "not run"; notifications, responses and invalid items go on to
                # handle_message, which runs nothing for them and answers them as it always does.
                responses.append(
                    error_response(
                        item["id"],
                        BATCH_TIMEOUT,
                        f"Not run: the batch had taken more than {BATCH_SECONDS:g} seconds; send this message again",
                    )
                )
                continue
            if isinstance(item, dict) and item.get("method") == "initialize" and "id" in item:
                # A request only: a notification named initialize is answered nothing here either, as alone
                # (JSON-RPC 2.0: no reply to a notification, in a batch too; an outside tester, session 53).
                response = error_response(
                    item["id"] if valid_id(item.get("id")) else None,
                    INVALID_REQUEST,
                    "Invalid Request: initialize must not be part of a batch",
                )
            else:
                response = await handle_message(datasette, actor, item, protocol_version=version)
            if response is not None:
                responses.append(response)
        return Reply(200, responses) if responses else Reply(202)
    response = await handle_message(datasette, actor, message, protocol_version=version)
    if response is None:
        return Reply(202)
    if "error" in response and response["error"]["code"] in (PARSE_ERROR, INVALID_REQUEST):
        return Reply(400, response)
    headers = {}
    if isinstance(message, dict) and message.get("method") == "initialize" and "result" in response:
        headers["Mcp-Session-Id"] = new_session_id(datasette, response["result"]["protocolVersion"])
    return Reply(200, response, headers)


def _is_request(item) -> bool:
    """A JSON-RPC request that handle_message would run (as opposed to a notification, a response or junk)."""
    return (
        isinstance(item, dict)
        and item.get("jsonrpc") == "2.0"
        and isinstance(item.get("method"), str)
        and "id" in item
        and valid_id(item["id"])
    )


def decode_header_value(value: str | None) -> str | None:
    """Header values that are not plain ASCII travel as `=?base64?...?=`; None for a malformed one."""
    if value is None or not (value.startswith("=?base64?") and value.endswith("?=")):
        return value
    try:
        return base64.b64decode(value[9:-2], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _check_envelope(message: dict, headers: dict) -> tuple[int, str, object] | str:
    """The request's protocol version, or (code, message, data) for the first rule it breaks."""
    meta = (message.get("params") or {}).get("_meta") if isinstance(message.get("params"), dict) else None
    if not isinstance(meta, dict):
        text = (
            f"params._meta must be an object carrying {PROTOCOL_VERSION_META_KEY!r} and "
            f"{CLIENT_CAPABILITIES_META_KEY!r}"
        )
        return INVALID_PARAMS, text, None
    missing = [key for key in (PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY) if key not in meta]
    if missing:
        return INVALID_PARAMS, f"params._meta is missing {', '.join(missing)}", None
    version = meta[PROTOCOL_VERSION_META_KEY]
    if headers.get("mcp-protocol-version") is None or headers.get("mcp-protocol-version") != version:
        return HEADER_MISMATCH, "MCP-Protocol-Version header does not match params._meta", None
    if headers.get("mcp-method") != message.get("method"):
        return HEADER_MISMATCH, "Mcp-Method header does not match the request's method", None
    name_key = NAME_BEARING.get(message.get("method"))
    if name_key is not None:
        value = message["params"].get(name_key)
        if value is not None and decode_header_value(headers.get("mcp-name")) != value:
            return HEADER_MISMATCH, f"Mcp-Name header does not match params.{name_key}", None
    if not isinstance(version, str):
        return INVALID_PARAMS, "the protocol version in params._meta must be a string", None
    if version not in MODERN_VERSIONS:
        return (
            UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
            {"supported": list(MODERN_VERSIONS), "requested": version},
        )
    return version


async def _handle_modern(datasette, actor, message, headers: dict, raw_headers) -> Reply:
    """2026-07-28: one self-contained request per POST; no sessions, no batches."""
    if not isinstance(message, dict) or ("id" in message and message["id"] is None):
        return _http_error(400, INVALID_REQUEST, "Body must be a single JSON-RPC request or notification object")
    if "id" not in message:  # a notification: nothing to act on at this revision
        requested = headers.get("mcp-protocol-version")
        if requested not in MODERN_VERSIONS:
            return Reply(
                400,
                error_response(
                    None,
                    UNSUPPORTED_PROTOCOL_VERSION,
                    "Unsupported protocol version",
                    {"supported": list(MODERN_VERSIONS), "requested": requested},
                ),
            )
        return Reply(202)
    # Its id when it has one a client can match (JSON-RPC 2.0: a string or a number; MCP: a string or an integer),
    # else null, as the earlier revisions answer: the envelope's refusals echoed `true`, `{}` or `[1]` (an outside
    # tester's generated messages, session 53).
    request_id = message.get("id") if valid_id(message.get("id")) else None
    if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        text = "Body must be a single JSON-RPC request or notification object"
        return Reply(400, error_response(request_id, INVALID_REQUEST, text))
    seen = set()
    for name, _ in raw_headers:
        key = name.lower()
        if key in ROUTING_HEADERS:
            if key in seen:
                return Reply(400, error_response(request_id, HEADER_MISMATCH, f"{key} header appears twice"))
            seen.add(key)
    checked = _check_envelope(message, headers)
    if isinstance(checked, tuple):
        code, text, data = checked
        return Reply(MODERN_STATUS.get(code, 400), error_response(request_id, code, text, data))
    response = await handle_message(datasette, actor, message, protocol_version=checked)
    status = MODERN_STATUS.get(response["error"]["code"], 200) if "error" in response else 200
    return Reply(status, response)
