"""2026-07-28 requests stand alone: their `params._meta` envelope and the routing headers (MCP-Protocol-Version,
Mcp-Method, Mcp-Name) must say the same thing, over real HTTP.

The rules, written here from the revision's transport section (as the module docstring of
`agents/mcp/transport.py` states them) and JSON-RPC 2.0, not from the plugin's code:

- `params._meta` is an object carrying the protocol version and the client's capabilities; without either the
  params are invalid (JSON-RPC -32602, HTTP 400);
- the MCP-Protocol-Version header is present and equals `_meta`'s version; Mcp-Method equals `method`; for a
  name-bearing method (tools/call) Mcp-Name equals `params.name`, a value that is not plain ASCII travelling as
  `=?base64?<base64 of its UTF-8>?=` (a malformed one matches nothing): else a header mismatch (-32020, 400);
- every such error is a JSON-RPC error answering the request's own id;
- a request whose envelope and headers agree runs (the query tool returns its rows).

Generated family: a correct tools/call with one thing changed at a time (headers absent, other values, case,
base64 spellings right and wrong, envelope keys missing), plus the correct ones with base64 and non-ASCII names.
"""

from __future__ import annotations

import base64
import json
import random

import httpx
from agents_helpers import mcp_http_post

MODERN = "2026-07-28"
PV_KEY = "io.modelcontextprotocol/protocolVersion"
CAPS_KEY = "io.modelcontextprotocol/clientCapabilities"
INVALID_PARAMS, HEADER_MISMATCH = -32602, -32020


def b64(text: str) -> str:
    return "=?base64?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def correct(request_id: int, name: str = "query"):
    message = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {
            "name": name,
            "arguments": {"database": "db", "sql": "select name from users order by id"},
            "_meta": {PV_KEY: MODERN, CAPS_KEY: {}},
        },
    }
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": name}
    return message, headers


def cases(seed: int):
    """(message, headers, expected): expected is "runs", or the JSON-RPC error code the request must get."""
    rng = random.Random(seed)
    out = []
    n = 0

    def case(change, expected):
        nonlocal n
        n += 1
        message, headers = correct(n)
        change(message, headers)
        out.append((message, headers, expected))

    case(lambda m, h: None, "runs")
    case(lambda m, h: h.__setitem__("Mcp-Name", b64("query")), "runs")  # ASCII may travel encoded too
    for other in ["2099-01-01", "2026-07-29", "2025-13-01"]:
        case(lambda m, h, o=other: h.__setitem__("MCP-Protocol-Version", o), HEADER_MISMATCH)
    case(lambda m, h: h.pop("MCP-Protocol-Version"), HEADER_MISMATCH)
    for method in ["tools/list", "Tools/Call", ""]:
        case(lambda m, h, x=method: h.__setitem__("Mcp-Method", x), HEADER_MISMATCH)
    case(lambda m, h: h.pop("Mcp-Method"), HEADER_MISMATCH)
    for name in [
        "list_tables",
        "Query",
        b64("list_tables"),
        b64("quer"),
        "=?base64?cXVlcnk?=",
        "=?base64?!!!!?=",
        "=?base64?/w==?=",
        "=?BASE64?cXVlcnk=?=",
        "=?base64?cXVl!cnk=?=",
        "=?base64?cXVl cnk=?=",
        "=?base64?cXVlcnk=\t?=",
    ]:
        case(lambda m, h, x=name: h.__setitem__("Mcp-Name", x), HEADER_MISMATCH)
    case(lambda m, h: h.pop("Mcp-Name"), HEADER_MISMATCH)
    case(lambda m, h: m["params"]["_meta"].pop(CAPS_KEY), INVALID_PARAMS)
    case(lambda m, h: m["params"]["_meta"].pop(PV_KEY), INVALID_PARAMS)
    case(lambda m, h: m["params"]["_meta"].clear(), INVALID_PARAMS)
    for pv in ["2099-01-01", "2026-07-27"]:
        case(lambda m, h, x=pv: m["params"]["_meta"].__setitem__(PV_KEY, x), HEADER_MISMATCH)
    # a plain ASCII name that only looks like part of the encoding travels as it is (an unknown tool)
    for word in ["weird?=", "=?base64?weird", "=?base64?"]:

        def verbatim(m, h, w=word):
            m["params"]["name"] = w
            h["Mcp-Name"] = w

        case(verbatim, INVALID_PARAMS)
    # JSON-RPC 2.0: a request that is not "jsonrpc": "2.0" is an Invalid Request
    for version in ["1.0", "2", None]:
        case(lambda m, h, v=version: m.__setitem__("jsonrpc", v), -32600)
    # non-ASCII tool names: the header carries base64; matching passes the header check (the tool is then unknown,
    # an invalid-params error), not matching is a header mismatch
    for word in ["quéry", "запрос", "查询", "q😀"]:

        def encoded(m, h, w=word):
            m["params"]["name"] = w
            h["Mcp-Name"] = b64(w)

        case(encoded, INVALID_PARAMS)

        def wrong(m, h, w=word):
            m["params"]["name"] = w
            h["Mcp-Name"] = b64(w + "x")

        case(wrong, HEADER_MISMATCH)
    rng.shuffle(out)
    return out


def test_the_envelope_and_the_routing_headers_must_agree(base):
    wrong = []
    with httpx.Client(timeout=30) as client:
        for message, headers, expected in cases(49):
            response = client.post(
                base + "/-/mcp",
                content=json.dumps(message, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
            )
            data = response.json()
            if expected == "runs":
                ok = (
                    response.status_code == 200
                    and data.get("id") == message["id"]
                    and data.get("result", {}).get("structuredContent", {}).get("rows") == [["simon"], ["natalie"]]
                )
            elif expected == -32600:  # the id may be null here (JSON-RPC: "if there was an error in detecting the id")
                ok = (
                    response.status_code == 400
                    and data.get("id") in (None, message["id"])
                    and data.get("error", {}).get("code") == expected
                )
            else:
                ok = (
                    response.status_code == 400
                    and data.get("id") == message["id"]
                    and data.get("error", {}).get("code") == expected
                )
            if not ok:
                wrong.append(
                    (
                        headers,
                        message["params"].get("name"),
                        message["params"]["_meta"],
                        expected,
                        response.status_code,
                        response.text[:160],
                    )
                )
    assert not wrong, wrong[:6]


def test_a_notification_is_accepted_only_at_a_supported_version(base):
    """Streamable HTTP: an accepted notification is 202 with no body; "if the server receives a request with an
    invalid or unsupported MCP-Protocol-Version, it MUST respond with 400 Bad Request"."""
    with httpx.Client(timeout=30) as client:
        for version, status in [(MODERN, 202), ("2099-01-01", 400), ("2026-07-29", 400), ("1.0", 400), ("", 400)]:
            for method in ("notifications/cancelled", "notifications/progress", "notifications/x"):
                message = {"jsonrpc": "2.0", "method": method, "params": {"_meta": {PV_KEY: MODERN, CAPS_KEY: {}}}}
                response = mcp_http_post(client, base, message, version, {"Mcp-Method": method})
                assert response.status_code == status, (version, method, response.status_code, response.text[:200])
                if status == 202:
                    assert response.content == b""


def test_a_routing_header_sent_twice_is_refused(base):
    """RFC 9110 5.3: a field that is not a list may not be sent as several field lines; a routing header sent twice
    (same value or not) cannot be matched against the body and is refused (400, a JSON-RPC error with the request's
    id). Other headers sent twice change nothing."""
    rng = random.Random(49)
    with httpx.Client(timeout=30) as client:
        for n in range(1, 25):
            message, headers = correct(n)
            pairs = list(headers.items())
            twice = rng.choice(["MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "X-Trace", "Accept-Language"])
            value = headers.get(twice, "x")
            spelled = rng.choice([twice, twice.lower(), twice.upper()])
            pairs += [
                (twice, value),
                (spelled, rng.choice([value, value + "z"]) if twice.startswith(("X-", "Acc")) else value),
            ]
            response = client.post(
                base + "/-/mcp",
                content=json.dumps(message).encode(),
                headers=[("Content-Type", "application/json"), ("Accept", "application/json"), *pairs],
            )
            if twice in headers:
                assert response.status_code == 400 and response.json()["id"] == n, (twice, response.text[:200])
                assert response.json()["error"]["code"] == HEADER_MISMATCH
            else:
                assert response.status_code == 200 and "result" in response.json(), (twice, response.text[:200])


def test_a_request_whose_id_is_no_id_is_an_invalid_request(base):
    """JSON-RPC 2.0: an id is a string or a number (MCP: a string or an integer); a request with any other id is an
    Invalid Request (-32600) answered with id null, which the transport sends as a 400."""
    with httpx.Client(timeout=30) as client:
        for bad in [1.5, True, False, [], [1], {}, {"id": 1}]:
            message, headers = correct(1)
            message["id"] = bad
            response = client.post(
                base + "/-/mcp",
                content=json.dumps(message).encode(),
                headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
            )
            assert response.status_code == 400, (bad, response.status_code, response.text[:200])
            data = response.json()
            assert data["id"] is None and data["error"]["code"] == -32600, (bad, data)
