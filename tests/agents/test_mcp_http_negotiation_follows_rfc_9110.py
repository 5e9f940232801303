"""/-/mcp's answers to methods, Accept and Content-Type, over real HTTP, against RFC 9110, not the plugin's code.

- 12.5.1 Accept: no Accept header means any media type is acceptable; otherwise a media range matches
  application/json when it is application/json, application/* or */* (type and subtype case-insensitive, parameters
  aside). The endpoint only answers JSON, so a request none of whose ranges match is 406 (15.5.7).
- 8.3 Content-Type: media types are case-insensitive and may carry parameters; a body that is not
  application/json is 415 (15.5.16).
- 15.5.6: a method the resource does not support is 405 and the response MUST carry Allow, which names POST.
Either of 406 and 415 is right when both apply (the RFC gives no order); so is 415 before 405 for a multipart
body. A request that passes all is answered.

Generated family: methods x Accept lists (absent, exact, wildcards, case, parameters, q-values above 0, other types)
x Content-Types (absent, case, parameters, near misses). A range weighted q=0 is "not acceptable" (12.4.2), and of
the ranges that match JSON the most specific decides (12.5.1: `application/json;q=0, */*` takes no JSON).
"""

from __future__ import annotations

import json
import random

import httpx

MATCHING = [
    "application/json",
    "Application/JSON",
    "application/*",
    "*/*",
    "application/json; charset=utf-8",
    "APPLICATION/*;q=0.5",
    "*/*; q=0.1",
    "application/json;q=1",
]
ZERO = ["application/json;q=0", "*/*;q=0", "application/*; q=0.0", "APPLICATION/JSON;Q=0.000"]
OTHER = [
    "text/event-stream",
    "text/html",
    "application/xml",
    "application/json-seq",
    "application/jsonx",
    "text/*",
    "image/*;q=0.9",
    "application/ld+json",
    "json",
    "application",
]
GOOD_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/Json",
    "APPLICATION/JSON;charset=UTF-8",
    "application/json ; charset=utf-8",
]
BAD_TYPES = [
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json-seq",
    "application/jsonp",
    "text/json",
    "application/ld+json",
    "json",
    "",
]


def cases(seed: int, n: int):
    rng = random.Random(seed)
    out = [
        ("POST", None, "application/json"),
        ("POST", "text/event-stream", "application/json"),
        ("POST", "application/json, text/event-stream", "application/json"),
        ("GET", None, None),
    ]
    while len(out) < n:
        method = rng.choice(["POST"] * 6 + ["GET", "PUT", "PATCH"])
        if rng.random() < 0.2:
            accept = None
        else:
            ranges = rng.sample(MATCHING + OTHER + ZERO, rng.randint(1, 3))
            if rng.random() < 0.5:
                ranges = [r for r in ranges if r not in MATCHING] or ["text/html"]
            accept = rng.choice([", ", ",", " , "]).join(ranges)
        ctype = rng.choice(GOOD_TYPES if rng.random() < 0.6 else BAD_TYPES)
        out.append((method, accept, ctype))
    return out


def acceptable(accept: str | None) -> bool:
    if accept is None:
        return True
    weights = {}
    for media_range in accept.split(","):
        kind, *parameters = (piece.strip().lower() for piece in media_range.split(";"))
        q = [p.split("=", 1)[1] for p in parameters if p.replace(" ", "").startswith("q=")]
        weights.setdefault(kind, float(q[0]) if q else 1.0)
    for kind in ("application/json", "application/*", "*/*"):  # the most specific range that matches decides
        if kind in weights:
            return weights[kind] > 0
    return False


def expected(method, accept, ctype) -> set:
    bad = set()
    if method != "POST":  # a body of a type no route takes may be refused first (415): the RFC orders neither
        return (
            {405, 415} if ctype is not None and ctype.split(";")[0].strip().lower() == "multipart/form-data" else {405}
        )
    if not acceptable(accept):
        bad.add(406)
    if ctype is None or ctype.split(";")[0].strip().lower() != "application/json":
        bad.add(415)
    return bad or {200}


def test_methods_accept_and_content_type_get_the_rfc_status(base):
    wrong = []
    body = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "ping"}).encode()
    with httpx.Client(timeout=30) as client:
        for method, accept, ctype in cases(49, 220):
            headers = {"MCP-Protocol-Version": "2025-06-18"}
            if accept is not None:
                headers["Accept"] = accept
            if ctype is not None:
                headers["Content-Type"] = ctype
            request = client.build_request(method, base + "/-/mcp", content=body, headers=headers)
            if accept is None:
                del request.headers["Accept"]  # httpx adds "*/*" by itself
            response = client.send(request)
            want = expected(method, accept, ctype)
            ok = response.status_code in want
            if response.status_code == 405:
                allow = {m.strip().upper() for m in response.headers.get("allow", "").split(",")}
                ok = ok and "POST" in allow and method not in allow
            if response.status_code == 200:
                ok = ok and response.json() == {"jsonrpc": "2.0", "id": 3, "result": {}}
            if not ok:
                wrong.append((method, accept, ctype, sorted(want), response.status_code, response.text[:120]))
    assert not wrong, wrong[:8]
