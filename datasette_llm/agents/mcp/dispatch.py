"""The MCP JSON-RPC dispatcher: one message in, one response (or None for a notification) out.

Two protocol eras are served. Handshake revisions (2024-11-05 .. 2025-11-25) start with `initialize`;
2026-07-28 has no handshake: `server/discover` advertises the server, and every request carries its
protocol version and client capabilities in `params._meta` (checked by the transport, transport.py).
Which fields a result carries follows the revision: `structuredContent` from 2025-06-18, tool `title` and
`annotations` where defined, `resultType` and cache hints on 2026-07-28.
"""

from __future__ import annotations

import json
import logging
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from ...errors import DatasetteLLMError
from ...sql.failures import READ_FAILURES, unreadable
from .tools import TOOLS

logger = logging.getLogger(__name__)

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSIONS = ("2026-07-28",)
LATEST_HANDSHAKE_VERSION = HANDSHAKE_VERSIONS[-1]
LATEST_VERSION = MODERN_VERSIONS[-1]
DEFAULT_HTTP_VERSION = "2025-03-26"  # what a request without MCP-Protocol-Version is assumed to speak

PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion"
CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities"
CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo"
SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo"

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HEADER_MISMATCH = -32020
UNSUPPORTED_PROTOCOL_VERSION = -32022

INSTRUCTIONS = (
    "Read-only access to this Datasette instance's SQLite databases, as your credentials allow. Call "
    "list_tables first and describe_table for details; then query with one SELECT that has a LIMIT. Results "
    "are capped by rows and characters: when truncated is true, the note says what was left out. Never "
    "invent rows you were not shown; narrow the query instead."
)


def server_version() -> str:
    try:
        return package_version("datasette-llm")
    except PackageNotFoundError:
        return "0"


def is_modern(protocol_version: str) -> bool:
    return protocol_version in MODERN_VERSIONS


def at_least(protocol_version: str, minimum: str) -> bool:
    order = HANDSHAKE_VERSIONS + MODERN_VERSIONS
    return protocol_version in order and order.index(protocol_version) >= order.index(minimum)


def server_info(protocol_version: str) -> dict:
    info = {"name": "datasette-llm", "version": server_version()}
    if at_least(protocol_version, "2025-06-18"):
        info["title"] = "Datasette"
    return info


def error_response(request_id, code: int, message: str, data=None) -> dict:
    error = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def result_response(request_id, result: dict) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


class _ParamsError(Exception):
    pass


def valid_id(value) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _finish(result: dict, protocol_version: str) -> dict:
    """Stamp the fields a 2026-07-28 result must carry."""
    if is_modern(protocol_version):
        result.setdefault("resultType", "complete")
        meta = result.setdefault("_meta", {})
        meta[SERVER_INFO_META_KEY] = server_info(protocol_version)
    return result


def initialize(params: dict) -> dict:
    requested = params.get("protocolVersion")
    if not isinstance(requested, str):
        raise _ParamsError("initialize needs a protocolVersion string")
    negotiated = requested if requested in HANDSHAKE_VERSIONS else LATEST_HANDSHAKE_VERSION
    result = {
        "protocolVersion": negotiated,
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": server_info(negotiated),
    }
    if at_least(negotiated, "2025-03-26"):
        result["instructions"] = INSTRUCTIONS
    return result


def discover(protocol_version: str) -> dict:
    return {
        "supportedVersions": list(HANDSHAKE_VERSIONS + MODERN_VERSIONS),
        "capabilities": {"tools": {"listChanged": False}},
        "instructions": INSTRUCTIONS,
        "ttlMs": 0,
        "cacheScope": "public",
    }


def list_tools(protocol_version: str) -> dict:
    tools = [
        tool.definition(
            with_title=at_least(protocol_version, "2025-06-18"),
            with_annotations=at_least(protocol_version, "2025-03-26"),
        )
        for tool in TOOLS.values()
    ]
    result = {"tools": tools}
    if is_modern(protocol_version):
        result.update(ttlMs=0, cacheScope="public")  # the same list for every caller
    return result


def tool_result(data: dict, protocol_version: str, *, is_error: bool = False) -> dict:
    """Text content with the JSON (every revision), plus structuredContent where the revision has it."""
    result = {
        "content": [{"type": "text", "text": json.dumps(data, ensure_ascii=False, default=str)}],
        "isError": is_error,
    }
    if at_least(protocol_version, "2025-06-18"):
        result["structuredContent"] = json.loads(json.dumps(data, default=str))
    return result


async def call_tool(datasette, actor, params: dict, protocol_version: str) -> dict:
    name = params.get("name")
    if not isinstance(name, str):
        raise _ParamsError("tools/call needs a tool name")
    tool = TOOLS.get(name)
    if tool is None:
        raise _ParamsError(f"Unknown tool {name!r}. Tools: {', '.join(TOOLS)}")
    arguments = params.get("arguments")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise _ParamsError("tools/call arguments must be an object")
    try:
        data = await tool.run(datasette, actor, arguments)
    except DatasetteLLMError as error:  # the model can act on these: rejected SQL, unknown table, forbidden
        return tool_result(error.to_json(), protocol_version, is_error=True)
    except READ_FAILURES as error:  # a locked or damaged file: the 503 ask.json gives, not "Internal error"
        return tool_result(unreadable(error).to_json(), protocol_version, is_error=True)
    return tool_result(data, protocol_version)


async def handle_message(datasette, actor, message, *, protocol_version: str = LATEST_HANDSHAKE_VERSION):
    """The JSON-RPC response to one message, or None when it needs none (notifications, responses).

    `protocol_version` is what the transport negotiated (or read from the request envelope); it picks the
    method set and the shape of results.
    """
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        request_id = message.get("id") if isinstance(message, dict) and valid_id(message.get("id")) else None
        return error_response(request_id, INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 object")
    method = message.get("method")
    if "id" not in message:
        if isinstance(method, str):
            return None  # notifications (initialized, cancelled...) need no answer
        return error_response(None, INVALID_REQUEST, "Invalid Request: no method")
    request_id = message["id"]
    if method is None and ("result" in message or "error" in message):
        return None  # a response to a request we never send; nothing to do
    if not valid_id(request_id):
        return error_response(None, INVALID_REQUEST, "Invalid Request: id must be a string or an integer")
    if not isinstance(method, str):
        return error_response(request_id, INVALID_REQUEST, "Invalid Request: method must be a string")
    params = message.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return error_response(request_id, INVALID_PARAMS, "Invalid params: params must be an object")
    modern = is_modern(protocol_version)
    try:
        if method == "tools/list":
            result = list_tools(protocol_version)
        elif method == "tools/call":
            result = await call_tool(datasette, actor, params, protocol_version)
        elif method == "initialize" and not modern:
            result = initialize(params)
        elif method == "ping" and not modern:
            result = {}
        elif method == "server/discover" and modern:
            result = discover(protocol_version)
        else:
            return error_response(request_id, METHOD_NOT_FOUND, f"Method not found: {method}")
    except _ParamsError as error:
        return error_response(request_id, INVALID_PARAMS, f"Invalid params: {error}")
    except Exception:  # a bug, not bad input: say so without leaking internals
        logger.exception("MCP %s failed", method)
        return error_response(request_id, INTERNAL_ERROR, "Internal error")
    return result_response(request_id, _finish(result, protocol_version))
