"""HTTP hardening (issue 15): hidden databases look missing, no 5xx on hostile input, bounded bodies, no
cross-site model runs, forwarded headers only when trusted, and the llm-ask permission.

Every surface is called in-process; a scripted model stands in for the real one and records whether a model
was ever requested, so "refused before any model ran" is asserted, not assumed.
"""

import http.client
import json
import socket

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1, only_datasette_065, only_datasette_1
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from server_helpers import serve_in_thread

from datasette_llm.agents.mcp.transport import MAX_BATCH_MESSAGES
from datasette_llm.config import load_settings
from datasette_llm.errors import ConfigError

SECRET = "hardening-secret"
ADMIN, BOB = {"id": "admin"}, {"id": "bob"}
HIDE_DATABASE = {"databases": {"private": {"allow": ADMIN}}}
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}
BATCH_HEADERS = {**MCP_HEADERS, "MCP-Protocol-Version": "2025-03-26"}


@pytest.fixture
def paths(tmp_path):
    public, private = tmp_path / "db.db", tmp_path / "private.db"
    db = sqlite_utils.Database(public)
    db["items"].insert_all([{"id": i, "title": f"item {i}"} for i in range(3)], pk="id")
    db["secret"].insert({"id": 1, "code": "hunter2"}, pk="id")
    sqlite_utils.Database(private)["payroll"].insert({"id": 1, "salary": 99}, pk="id")
    return public, private


class ModelRequests:
    """Stands in for chat_model_for: counts how often a model was asked for, hands out scripted ones."""

    def __init__(self, replies=()):
        self.requested = 0
        self.replies = list(replies)

    def __call__(self, *args, **kwargs):
        self.requested += 1
        return ScriptedModel(list(self.replies))


@pytest.fixture
def models(monkeypatch):
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    requests = ModelRequests([sql_reply("select count(*) as n from items"), "There are 3 items."] * 4)
    monkeypatch.setattr(datasette_llm.web.ask, "chat_model_for", requests)
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", requests)
    return requests


def make_ds(paths, metadata=None, plugin=None):
    metadata = json.loads(json.dumps(metadata or {}))
    if plugin:
        metadata.setdefault("plugins", {})["datasette-llm"] = plugin
    return Datasette([str(p) for p in paths], metadata=metadata, secret=SECRET)


def signed_in(ds, actor):
    """Cookies and headers of a signed-in browser that passed Datasette's CSRF check."""
    token = ds.sign("token", "csrftoken")
    return {
        "cookies": {"ds_actor": ds.sign({"a": actor}, "actor"), "ds_csrftoken": token},
        "headers": {"x-csrftoken": token},
    }


async def mcp(ds, message, headers=MCP_HEADERS, **kwargs):
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return await ds.client.post("/-/mcp", content=body, headers={**MCP_HEADERS, **headers}, **kwargs)


async def mcp_tool(ds, name, arguments, **kwargs):
    response = await mcp(
        ds,
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}},
        **kwargs,
    )
    assert response.status_code == 200, response.text
    return response.json()["result"]["structuredContent"]


# -- 1. a hidden database looks exactly like a missing one ---------------------------------------------


async def not_found_answers(ds, database):
    """(surface, status, JSON body) of every surface asked about `database` by an anonymous actor."""
    get = ds.client.get
    answers = [
        ("ask json", await ds.client.post(f"/{database}/-/ask.json", json={"question": "How many?"})),
        ("ask stream", await ds.client.post(f"/{database}/-/ask.stream", json={"question": "How many?"})),
        ("search", await get(f"/-/semantic-search?q=x&database={database}")),
        ("schema", await get(f"/-/llm/schema.json?database={database}")),
        ("schema table", await get(f"/-/llm/schema.json?database={database}&table=payroll")),
        ("query", await get(f"/-/llm/query.json?database={database}&sql=select+1")),
    ]
    result = [(name, r.status_code, r.json()) for name, r in answers]
    for tool, arguments in (
        ("list_tables", {}),
        ("describe_table", {"table": "payroll"}),
        ("query", {"sql": "select 1"}),
        ("ask", {"question": "How many?"}),
        ("semantic_search", {"q": "x"}),
    ):
        data = await mcp_tool(ds, tool, {"database": database, **arguments})
        result.append((f"mcp {tool}", data["status"], data))
    for page in (f"/{database}/-/ask", f"/{database}/payroll/-/semantic-search"):
        response = await get(page)
        result.append((page.replace(database, "{db}"), response.status_code, None))
    return result


@pytest.mark.asyncio
async def test_hidden_database_gets_the_same_404_as_a_missing_one(paths, models):
    ds = make_ds(paths, HIDE_DATABASE)
    hidden = await not_found_answers(ds, "private")
    missing = await not_found_answers(ds, "nowhere")
    for (surface, status, body), (_, other_status, other_body) in zip(hidden, missing):
        assert status == other_status == 404, (surface, status, other_status)
        if body is not None:
            assert body == json.loads(json.dumps(other_body).replace("nowhere", "private")), surface
            assert body["databases"] == ["db"] and "Databases: db." in body["error"], surface
    assert models.requested == 0
    # Allowed to see it, the admin is told about it, and the lists name it.
    admin = signed_in(ds, ADMIN)
    schema = await ds.client.get("/-/llm/schema.json?database=nowhere", **admin)
    assert schema.status_code == 404 and schema.json()["databases"] == ["db", "private"]


@pytest.mark.asyncio
async def test_database_lists_in_404s_name_only_visible_databases(paths, models):
    ds = make_ds(paths, HIDE_DATABASE)
    for response in (
        await ds.client.post("/nowhere/-/ask.json", json={"question": "How many?"}),
        await ds.client.get("/-/semantic-search?q=x&database=nowhere"),
        await ds.client.get("/-/llm/query.json?database=nowhere&sql=select+1"),
    ):
        assert response.status_code == 404 and "private" not in response.text


# -- 2. hostile input is a 4xx, never a 5xx --------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    [
        "/nowhere/items/-/semantic-search",
        "/db/nowhere/-/semantic-search",
        "/nowhere/items/-/semantic-search?q=anything",
        "/db/secret/-/semantic-search",
    ],
)
async def test_search_page_of_a_missing_table_or_database_is_a_404(paths, path):
    ds = make_ds(paths, {"databases": {"db": {"tables": {"secret": {"allow": ADMIN}}}}})
    response = await ds.client.get(path)
    assert response.status_code == 404
    assert "hunter2" not in response.text


LONE_SURROGATE_SQL = b'{"database": "db", "sql": "select \'\\ud800\'"}'


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        b'{"jsonrpc": "2.0", "id": "\\ud800", "method": "ping"}',
        b'{"jsonrpc": "2.0", "id": 1, "method": "\\udfff"}',
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "query", "arguments": '
        b'{"database": "db", "sql": "select \'\\ud800\'"}}}',
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "\\ud83d"}}',
    ],
)
async def test_lone_surrogates_in_mcp_are_a_parse_error(paths, models, body):
    ds = make_ds(paths)
    response = await mcp(ds, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32700 and "surrogate" in response.json()["error"]["message"]


@pytest.mark.asyncio
async def test_lone_surrogates_in_json_bodies_are_a_400(paths, models):
    ds = make_ds(paths)
    query = await ds.client.post(
        "/-/llm/query.json", content=LONE_SURROGATE_SQL, headers={"Content-Type": "application/json"}
    )
    assert query.status_code == 400 and "surrogate" in query.json()["error"]
    for path in ("/db/-/ask.json", "/db/-/ask.stream"):
        ask = await ds.client.post(
            path, content=b'{"question": "How many \\udc00?"}', headers={"Content-Type": "application/json"}
        )
        assert ask.status_code == 400 and "surrogate" in ask.json()["error"]
    # A surrogate in a query string arrives percent-encoded and can only decode to U+FFFD: no error at all.
    response = await ds.client.get("/-/llm/query.json?database=db&sql=select+%27%ED%A0%80%27")
    assert response.status_code == 200 and response.json()["rows"] == [["\ufffd" * 3]]
    assert models.requested == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/-/llm/query.json", "/db/-/ask.json", "/db/-/ask.stream", "/-/mcp"])
@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=x", "multipart/form-data;boundary=x"]
)
async def test_multipart_with_a_cookie_is_a_415_not_a_500(paths, models, path, content_type):
    # asgi-csrf parses multipart bodies of requests with cookies, and raised on a missing "; boundary=".
    ds = make_ds(paths)
    response = await ds.client.post(
        path,
        content=b'--x\r\nContent-Disposition: form-data; name="sql"\r\n\r\nselect 1\r\n--x--\r\n',
        headers={"Content-Type": content_type},
        cookies={"ds_csrftoken": ds.sign("t", "csrftoken")},
    )
    assert response.status_code == 415, response.text
    assert "multipart" in response.text and models.requested == 0


# -- 3. body caps for every content type, and MCP batches ------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/-/llm/query.json", "/db/-/ask.json", "/db/-/ask.stream", "/-/mcp"])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain", None])
@pytest.mark.parametrize("with_cookie", [False, True])
async def test_every_post_body_is_capped(paths, models, path, content_type, with_cookie):
    ds = make_ds(paths)
    headers = {"Content-Type": content_type} if content_type else {}
    cookies = {"ds_csrftoken": ds.sign("t", "csrftoken")} if with_cookie else {}
    body = b"sql=" + b"x" * (5 * 1024 * 1024)  # past every route's limit, the MCP one included
    response = await ds.client.post(path, content=body, headers=headers, cookies=cookies)
    assert response.status_code == 413, (response.status_code, response.text[:200])
    assert "larger than" in response.text and models.requested == 0


@pytest.mark.asyncio
async def test_bodies_held_at_once_are_bounded_and_small_ones_still_pass(paths, monkeypatch):
    """Each route capped its own body (MCP's at 4 MB), but nothing capped how many were held at once: 128 MCP
    requests sent together held 1 GB (an outside tester, session 38). Past what every request may hold at once a
    large body is a 503 with Retry-After; a small body is never refused, and what a request held is given back."""
    from datasette_llm.web import request_body

    ds = make_ds(paths)
    monkeypatch.setattr(request_body, "BODIES_HELD_BYTES", 2 * 1024 * 1024)
    query = {"Content-Type": "application/json"}
    ping = b" " * 600_000 + json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    accepted = await ds.client.post("/-/mcp", content=ping, headers=MCP_HEADERS)
    assert accepted.status_code == 200 and accepted.json()["id"] == 1
    assert request_body._held == [0]  # given back when the request ended
    monkeypatch.setattr(request_body, "_held", [1900 * 1024])  # other requests hold most of it now
    refused = await ds.client.post("/-/mcp", content=ping, headers=MCP_HEADERS)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "2"
    assert refused.json()["error"]["code"] == -32600 and "too many large requests" in refused.text
    small = json.dumps({"database": "db", "sql": "select count(*) as n from items"}).encode()
    ok = await ds.client.post("/-/llm/query.json", content=small, headers=query)
    assert ok.status_code == 200 and ok.json()["rows"] == [[3]]
    # Up to 64 KB is small, counted once: the route's read of the replayed body was counted again, and a body
    # over 32 KB lost its pass (a second tester, session 38).
    mid = b" " * 60_000 + json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}).encode()
    assert (await ds.client.post("/-/mcp", content=mid, headers=MCP_HEADERS)).status_code == 200
    assert request_body._held == [1900 * 1024]
    # One address holds at most CLIENT_BODY_BYTES, small bodies included: a 429, and other addresses unaffected.
    monkeypatch.setattr(request_body, "_held", [0])
    monkeypatch.setattr(request_body, "CLIENT_BODY_BYTES", 1024 * 1024)
    monkeypatch.setattr(request_body, "_by_client", {"address:10.0.0.7": 1024 * 1024})
    assert (await ds.client.post("/-/mcp", content=ping, headers=MCP_HEADERS)).status_code == 200
    monkeypatch.setattr(request_body, "_by_client", {"address:127.0.0.1": 1024 * 1024 - 10})
    mine = await ds.client.post("/-/llm/query.json", content=small, headers=query)
    assert mine.status_code == 429 and mine.headers["retry-after"] == "2", mine.text
    assert mine.json()["code"] == "too_many_requests"
    assert request_body._by_client == {"address:127.0.0.1": 1024 * 1024 - 10}


@pytest.mark.parametrize("path", ["/db/-/ask.json", "/-/mcp", "/-/llm/query.json", "/-/llm/db/feedback"])
def test_a_client_still_sending_reads_the_refusal_not_a_reset(paths, path):
    """Over a real socket. The server answered a body past the cap while the client was still sending and closed:
    Python's urllib (which says "Connection: close") sent a 20 MB question and saw "Connection reset by peer" instead
    of the 413. What is left is read and dropped first, so a client that sends everything before it reads reads the
    refusal; a body refused for its type (415) is answered the same way."""
    CLOSE = {"Connection": "close"}  # noqa: N806 (as urllib sends it)
    with serve_in_thread(make_ds(paths).app()) as base:
        port = int(base.rsplit(":", 1)[1])
        for size, kind, status in (
            (5_000_000, "application/json", 413),
            (20_000_000, "application/json", 413),
            (3_000_000, "multipart/form-data; boundary=x", 415),
        ):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:  # the length is not said: what is sent is refused as it is read
                connection.putrequest("POST", path)
                for name, value in {
                    **MCP_HEADERS,
                    "Content-Type": kind,
                    "Transfer-Encoding": "chunked",
                    **CLOSE,
                }.items():
                    connection.putheader(name, value)
                connection.endheaders()
                for _ in range(0, size, 1 << 20):
                    connection.send(b"100000\r\n" + b"x" * (1 << 20) + b"\r\n")
                connection.send(b"0\r\n\r\n")
                response = connection.getresponse()
                assert response.status == status, (path, size, response.status)
                assert b"error" in response.read()
            finally:
                connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:  # the length is said: refused before anything is read, the body still read and dropped
                connection.request(
                    "POST", path, body=b"x" * size, headers={**MCP_HEADERS, "Content-Type": kind, **CLOSE}
                )
                response = connection.getresponse()
                assert response.status == status, (path, size, response.status)
            finally:
                connection.close()


def test_a_body_too_large_by_its_length_is_refused_before_it_is_sent(paths):
    """A client that asks "100 Continue" first is told 413 at once, and sends nothing (the server asked for the
    body, then cut it at the cap)."""
    with serve_in_thread(make_ds(paths).app()) as base:
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=10) as sock:
            sock.sendall(
                b"POST /db/-/ask.json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n"
            )
            head = b""
            while b"larger than" not in head and (chunk := sock.recv(65536)):
                head += chunk
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        assert b"larger than" in head


@pytest.mark.asyncio
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["/-/mcp", "/-/llm/query.json", "/db/-/ask.json", "/-/llm/db/feedback"]),
            st.sampled_from(["application/json", "multipart/form-data", "application/x-www-form-urlencoded"]),
            st.integers(0, 6_000_000),  # bytes sent, past some routes' caps
            st.sampled_from(["whole", "client leaves", "bad token"]),
        ),
        min_size=1,
        max_size=6,
    )
)
@example([("/-/mcp", "application/json", 1_000_000, "whole"), ("/-/mcp", "application/json", 2_000_000, "whole")])
@example(
    [("/-/mcp", "application/json", 2_000_000, "client leaves"), ("/-/llm/query.json", "application/json", 0, "whole")]
)
async def test_what_a_request_body_held_is_given_back_however_it_ends(paths, requests):
    """Generated requests straight to the ASGI app (the app's own wrapper included): bodies whole, cut off by a
    client that leaves, past the route's cap, of a type refused, with a CSRF token that is not ASCII. After each,
    whatever it ended with (a 2xx, 400, 403, 413, 415 or 503), what it held is given back to the bodies' bound."""
    from datasette_llm.web import request_body

    request_body.BODIES_HELD_BYTES, bound = 1_500_000, request_body.BODIES_HELD_BYTES  # a 2 MB body: a 503
    app = make_ds(paths).app()
    bodies = {  # valid bodies, padded to the size drawn: they reach the route, or its cap, or the bound
        "application/json": json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "ping", "database": "db", "sql": "select 1"}
        ),
        "application/x-www-form-urlencoded": "database=db&sql=select+1&question=How+many%3F&pad=",
        "multipart/form-data": "--x\r\n",
    }
    for path, kind, size, how in requests:
        body = (
            (bodies[kind] + " " * size).encode() if kind == "application/json" else (bodies[kind] + "x" * size).encode()
        )
        chunks = [body[start : start + 65_536] for start in range(0, len(body), 65_536)]
        if how == "client leaves":
            chunks = chunks[: max(1, len(chunks) // 2)]
        messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
        messages[-1]["more_body"] = how == "client leaves"
        messages.append({"type": "http.disconnect"})
        headers = [(b"content-type", kind.encode()), (b"accept", b"application/json, text/event-stream")]
        if how == "bad token":
            headers.append((b"x-csrftoken", "é".encode()))
        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 5),
            "server": ("127.0.0.1", 80),
            "scheme": "http",
            "http_version": "1.1",
            "root_path": "",
            "asgi": {"version": "3.0"},
        }
        sent = []

        async def receive(messages=messages):
            return messages.pop(0) if len(messages) > 1 else messages[0]

        async def send(message, sent=sent):
            sent.append(message)

        await app(scope, receive, send)
        statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
        assert statuses and (statuses[0] < 500 or statuses[0] == 503), (path, kind, size, how, statuses)
        assert request_body._held == [0], (path, kind, size, how, statuses)
    request_body.BODIES_HELD_BYTES = bound


@pytest.mark.asyncio
async def test_form_encoded_query_is_capped_and_still_works(paths):
    ds = make_ds(paths)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    ok = await ds.client.post(
        "/-/llm/query.json", content=b"database=db&sql=select+count(*)+as+n+from+items", headers=form
    )
    assert ok.status_code == 200 and ok.json()["rows"] == [[3]]
    big = await ds.client.post("/-/llm/query.json", content=b"database=db&sql=" + b"x" * 200_000, headers=form)
    assert big.status_code == 413
    bad = await ds.client.post("/-/llm/query.json", content=b"sql=\xff\xfe", headers=form)
    assert bad.status_code == 400 and "UTF-8" in bad.json()["error"]


@pytest.mark.asyncio
@pytest.mark.parametrize("character", ["é", "\U0001f600"])
async def test_a_query_of_the_longest_sql_fits_however_its_characters_are_escaped(paths, character):
    ds = make_ds(paths)
    sql = "select '" + character * 9_000 + "' as x"  # within the 10,000-character limit
    body = json.dumps({"database": "db", "sql": sql}).encode()  # ensure_ascii: 6 or 12 bytes a character
    response = await ds.client.post("/-/llm/query.json", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text[:200]
    assert response.json()["rows"] == [[character * 9_000]]


@pytest.mark.asyncio
async def test_mcp_batches_are_capped(paths):
    ds = make_ds(paths)
    ping = [{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(MAX_BATCH_MESSAGES + 1)]
    refused = await mcp(ds, ping, headers=BATCH_HEADERS)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == -32600 and f"at most {MAX_BATCH_MESSAGES}" in refused.text
    accepted = await mcp(ds, ping[:MAX_BATCH_MESSAGES], headers=BATCH_HEADERS)
    assert accepted.status_code == 200 and len(accepted.json()) == MAX_BATCH_MESSAGES


# -- 4. no cross-site request can start a model run ----------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/db/-/ask.json", "/db/-/ask.stream"])
@pytest.mark.parametrize(
    "request_kwargs, status",
    [
        ({"method": "GET", "params": {"q": "How many?"}}, 405),
        ({"method": "PUT", "json": {"question": "How many?"}}, 405),
        # What a page on any site can send without a CORS preflight:
        ({"content": '{"question": "How many?"}', "headers": {"Content-Type": "text/plain"}}, 415),
        ({"content": '{"question": "How many?"}'}, 415),  # a Blob without a type: no Content-Type at all
        # A form with no cookie for this site (0.65) or that does not say where it comes from (1.0):
        ({"data": {"question": "How many?"}}, 403),
        # A JSON POST that a browser marks as coming from another site (only possible if CORS let it through):
        ({"json": {"question": "How many?"}, "headers": {"Origin": "https://evil.example"}}, 403),
        ({"json": {"question": "How many?"}, "headers": {"Sec-Fetch-Site": "cross-site"}}, 403),
        ({"json": {"question": "How many?"}, "headers": {"Sec-Fetch-Site": "same-site"}}, 403),
        ({"json": {"question": "How many?"}, "headers": {"Origin": "null"}}, 403),
    ],
)
async def test_cross_site_requests_never_reach_a_model(paths, models, path, request_kwargs, status):
    ds = make_ds(paths)
    request_kwargs = dict(request_kwargs)
    response = await ds.client.request(request_kwargs.pop("method", "POST"), path, **request_kwargs)
    assert response.status_code == status, response.text
    if DATASETTE_1 and response.headers["content-type"].startswith("text/html"):
        # Datasette 1.0 refuses cross-site unsafe requests itself (its csrf_error.html) before the plugin.
        assert status == 403 and models.requested == 0
        return
    assert response.json()["ok"] is False and models.requested == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "http://localhost"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "none"},
    ],
)
async def test_same_site_and_api_clients_still_ask(paths, models, headers):
    ds = make_ds(paths)
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, headers=headers)
    assert response.status_code == 200 and response.json()["rows"] == [[3]]


@only_datasette_065
@pytest.mark.asyncio
async def test_forms_need_the_csrf_token(paths, models):
    ds = make_ds(paths)
    browser = signed_in(ds, None)
    token = browser["headers"]["x-csrftoken"]
    ok = await ds.client.post(
        "/db/-/ask.json", data={"question": "How many?", "csrftoken": token}, cookies={"ds_csrftoken": token}
    )
    assert ok.status_code == 200
    forged = await ds.client.post(
        "/db/-/ask.json", data={"question": "How many?", "csrftoken": "forged"}, cookies={"ds_csrftoken": token}
    )
    assert forged.status_code == 403
    assert models.requested == 1


@only_datasette_1
@pytest.mark.asyncio
async def test_forms_must_come_from_this_site(paths, models):
    """Datasette 1.0 has no CSRF token: a form is accepted when the browser says it comes from this site."""
    ds = make_ds(paths)
    form = {"question": "How many?"}
    same_site = await ds.client.post("/db/-/ask.json", data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert same_site.status_code == 200
    old_browser = await ds.client.post("/db/-/ask.json", data=form, headers={"Origin": "http://localhost"})
    assert old_browser.status_code == 200
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {}):
        refused = await ds.client.post("/db/-/ask.json", data=form, headers=headers)
        assert refused.status_code == 403, headers
    assert models.requested == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "method, headers, warms",
    [
        ("GET", {}, True),
        ("GET", {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document"}, True),
        ("GET", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document"}, True),  # a link was followed
        ("GET", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "iframe"}, False),
        ("GET", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"}, False),
        ("HEAD", {}, False),
        ("DELETE", {}, False),
    ],
)
async def test_only_a_visit_to_the_ask_page_warms_the_model(paths, models, monkeypatch, method, headers, warms):
    import datasette_llm.web.ask as web_ask

    started = []
    monkeypatch.setattr(web_ask, "start_warm_up", lambda *args: started.append(args))
    await make_ds(paths).client.request(method, "/db/-/ask", headers=headers)
    assert bool(started) == warms


@pytest.mark.asyncio
async def test_the_ask_page_names_post_not_get(paths, models):
    html = (await make_ds(paths).client.get("/db/-/ask")).text
    assert "ask.json?q=" not in html and "POST" in html


@pytest.mark.asyncio
async def test_openapi_documents_post_only_questions(paths):
    spec = (await make_ds(paths).client.get("/-/llm/openapi.json")).json()
    ask = spec["paths"]["/{database}/-/ask.json"]
    assert set(ask) == {"post"} and {"405", "413", "415"} <= set(ask["post"]["responses"])
    query_post = spec["paths"]["/-/llm/query.json"]["post"]["requestBody"]["content"]
    assert set(query_post) == {"application/json", "application/x-www-form-urlencoded"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 200),
        ({"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty"}, 200),
        ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document"}, 200),  # someone followed a link
        ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "empty"}, 403),  # another site's fetch()
        ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "iframe"}, 403),
    ],
)
async def test_search_api_refuses_other_sites_fetches(paths, headers, status, monkeypatch):
    import datasette_llm.web.search as web_search

    async def no_search(*args, **kwargs):
        class Empty:
            def to_json(self):
                return {"ok": True, "hits": []}

        return Empty()

    monkeypatch.setattr(web_search, "semantic_search", no_search)
    response = await make_ds(paths).client.get("/-/semantic-search?q=x&database=db", headers=headers)
    assert response.status_code == status


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ({"question": ""}, "'question' argument is required"),
        ({"question": "   "}, "Please enter a question"),
        ({"question": "x" * 5000}, "the limit is"),
        ({"question": "How many?", "mode": "magic"}, "'mode' argument must be one of"),
        ({"question": "How many?", "history": "nope"}, "history must be a list"),
        ({"question": "How many?", "history": [{"sql": 1}]}, "needs a 'question'"),
        ({"question": "How many?", "table": 5}, "must be a string"),
        ({"question": "How many?", "table": "secret"}, "does not exist"),
        ({"question": "How many?", "database": "private"}, "does not exist"),
        ({"question": "How many?", "database": 7}, "must be a string"),
    ],
)
async def test_mcp_ask_validates_everything_before_loading_a_model(paths, models, arguments, fragment):
    ds = make_ds(
        paths,
        {**HIDE_DATABASE, "databases": {**HIDE_DATABASE["databases"], "db": {"tables": {"secret": {"allow": ADMIN}}}}},
    )
    data = await mcp_tool(ds, "ask", {"database": "db", **arguments})
    assert data["ok"] is False and fragment in data["error"], data
    assert models.requested == 0


# -- 5. forwarded headers only when configured -----------------------------------------------------


def test_trust_forwarded_headers_is_a_boolean_setting():
    assert load_settings({}).trust_forwarded_headers is False
    assert load_settings({"trust_forwarded_headers": True}).trust_forwarded_headers is True
    with pytest.raises(ConfigError, match="true or false"):
        load_settings({"trust_forwarded_headers": "yes"})


@pytest.mark.asyncio
async def test_forwarded_host_is_ignored_unless_trusted(paths):
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    for path in ("/.well-known/ai-plugin.json", "/-/llm/openapi.json", "/-/llm/openapi.yaml"):
        response = await make_ds(paths).client.get(path, headers=headers)
        assert "evil.example" not in response.text and "http://localhost" in response.text
        trusted = await make_ds(paths, plugin={"trust_forwarded_headers": True}).client.get(path, headers=headers)
        assert "https://evil.example" in trusted.text and "http://localhost" not in trusted.text


# -- 6. llm-ask: asking without execute-sql --------------------------------------------------------

ASK_WITHOUT_SQL = {
    "allow_sql": ADMIN,
    "tables": {"secret": {"allow": ADMIN}},
    "plugins": {"datasette-llm": {"allow_ask": BOB}},
}


@pytest.mark.asyncio
async def test_llm_ask_without_execute_sql(paths, models):
    ds = make_ds(paths, {"databases": {"db": ASK_WITHOUT_SQL}})
    bob = signed_in(ds, BOB)
    # Bob may ask, on every surface that asks ...
    assert (await ds.client.get("/db/-/ask", **bob)).status_code == 200
    ask = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, **bob)
    assert ask.status_code == 200 and ask.json()["rows"] == [[3]]
    assert ask.json()["edit_sql_url"] is None  # Datasette's SQL page would refuse him anyway
    stream = await ds.client.post("/db/-/ask.stream", json={"question": "How many items?"}, **bob)
    assert stream.status_code == 200 and "event: result" in stream.text
    assert (await mcp_tool(ds, "ask", {"database": "db", "question": "How many items?"}, **bob))["ok"] is True
    assert "Ask a question" in (await ds.client.get("/db", **bob)).text
    # ... but may not run SQL of his own, here or on Datasette's own SQL page.
    query = await ds.client.get("/-/llm/query.json?database=db&sql=select+count(*)+from+items", **bob)
    assert query.status_code == 403
    assert (await mcp_tool(ds, "query", {"database": "db", "sql": "select 1"}, **bob))["status"] == 403
    sql_page = "/db/-/query" if DATASETTE_1 else "/db"
    assert (await ds.client.get(sql_page + "?sql=select+*+from+secret", **bob)).status_code == 403
    # Someone else gets neither.
    carol = signed_in(ds, {"id": "carol"})
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, **carol)).status_code == 403
    assert (await ds.client.get("/db/-/ask", **carol)).status_code == 403


@pytest.mark.asyncio
async def test_llm_ask_answers_only_from_visible_tables(paths, monkeypatch):
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    attacker = ModelRequests([sql_reply("select code from secret")] * 3 + ["answer"] * 3)
    monkeypatch.setattr(datasette_llm.web.ask, "chat_model_for", attacker)
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", attacker)
    ds = make_ds(paths, {"databases": {"db": ASK_WITHOUT_SQL}})
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": "What is the code?", "mode": "sql"}, **signed_in(ds, BOB)
    )
    assert attacker.requested == 1 and "hunter2" not in response.text
    assert response.json()["attempts"][0]["error_kind"] == "unknown_table"


@pytest.mark.asyncio
async def test_llm_ask_default_follows_execute_sql_and_can_be_denied(paths, models):
    default = make_ds(paths, {"databases": {"db": {"allow_sql": ADMIN}}})
    assert (
        await default.client.post("/db/-/ask.json", json={"question": "How many?"}, **signed_in(default, BOB))
    ).status_code == 403
    assert (
        await default.client.post("/db/-/ask.json", json={"question": "How many?"}, **signed_in(default, ADMIN))
    ).status_code == 200
    # An instance-wide allow_ask: false stops asking even for actors who may run SQL.
    denied = make_ds(paths, plugin={"allow_ask": False})
    assert (await denied.client.post("/db/-/ask.json", json={"question": "How many?"})).status_code == 403
    assert (await denied.client.get("/-/llm/query.json?database=db&sql=select+1")).status_code == 200


def test_allow_ask_must_be_an_allow_block():
    assert load_settings({"allow_ask": {"id": ["alice"]}}).allow_ask == {"id": ["alice"]}
    with pytest.raises(ConfigError, match="allow block"):
        load_settings({"allow_ask": "alice"})


# -- every route, odd methods and odd input: never a 5xx ------------------------------------------

ROUTES = [
    "/-/ask",
    "/db/-/ask",
    "/db/-/ask.json",
    "/db/-/ask.stream",
    "/-/semantic-search",
    "/db/items/-/semantic-search",
    "/.well-known/ai-plugin.json",
    "/-/llm/openapi.json",
    "/-/llm/openapi.yaml",
    "/-/llm/logo.svg",
    "/-/llm/schema.json",
    "/-/llm/query.json",
    "/-/mcp",
    "/~ff/-/ask.json",
    "/%00/-/ask.json",
    "/db/%ff/-/semantic-search",
    "/private/-/ask.stream",
    "/db%2Fx/-/ask.json",  # Datasette routes on the path as sent: the Ask view of a database named "db/x"
    "/-/llm/db%2Fx/feedback",
    "/-/llm/db/examples/1/remove",
]
QUERIES = [
    "",
    "?q=%ff%fe",
    "?q=%00&database=%00&table=%00",
    "?database=db&table=items&limit=1e999&mode=%ff",
    "?sql=select+%27%ED%A0%80%27&database=db",
    "?q=x&q=y&database=db&database=private",
]
BODIES = [
    (None, b""),
    ("application/json", b"\xff"),
    ("application/json", b"[" * 50_000),
    ("application/json", b'{"question": {"a": 1}, "sql": ["x"], "database": 5}'),
    ("application/x-www-form-urlencoded", b"%ff=%fe&question=%00"),
    ("text/plain", b"x"),
    ("multipart/form-data; boundary=", b"--\r\n"),
    ("application/json; charset=latin-1", b"{}"),
    ("application/x-www-form-urlencoded", b"q=\xff"),  # asgi-csrf decodes forms of requests with cookies
    ("multipart/form-data; boundary=x", b"x"),
]


@pytest.mark.asyncio
async def test_no_route_answers_5xx_to_odd_input(paths, models):
    ds = make_ds(paths, HIDE_DATABASE, plugin={"warm_up": False})  # warm-ups are tested below
    seen = []
    for route in ROUTES:
        for query in QUERIES:
            for method in ("GET", "HEAD", "OPTIONS", "DELETE", "PATCH"):
                response = await ds.client.request(method, route + query)
                seen.append((method, route + query, response.status_code, response.text[:120]))
        for content_type, body in BODIES:
            headers = {"Content-Type": content_type} if content_type else {}
            for cookies in ({}, {"ds_csrftoken": ds.sign("t", "csrftoken")}):
                for method in ("POST", "PUT", "PATCH", "DELETE"):  # asgi-csrf reads the body of each
                    response = await ds.client.request(method, route, content=body, headers=headers, cookies=cookies)
                    seen.append((method, route, response.status_code, response.text[:120]))
    errors = [row for row in seen if row[2] >= 500]
    assert not errors, errors[:5]
    assert models.requested == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/db/-/ask.json", "/db%2Fx/-/ask.json", "/-/llm/db%2Fx/feedback", "/-/mcp"])
async def test_bodies_are_capped_for_every_method_and_path_as_sent(paths, models, method, path):
    """asgi-csrf reads a whole form for every method but the safe ones; a path with %2F in it still reaches the
    plugin's views (a 100 MB form took +340 MB there before)."""
    ds = make_ds(paths)
    cookies = {"ds_csrftoken": ds.sign("t", "csrftoken")}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    big = await ds.client.request(method, path, content=b"q=" + b"x" * (5 * 1024 * 1024), headers=form, cookies=cookies)
    assert big.status_code == 413, (big.status_code, big.text[:200])
    latin = await ds.client.request(method, path, content=b"q=\xff", headers=form, cookies=cookies)
    assert latin.status_code == 400 and "UTF-8" in latin.text
    assert models.requested == 0


ORIGINS = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(["http://", "https://", "//", ""]),
        st.text(st.sampled_from("[]:.@/%1aZ"), max_size=12),
    ),
)


@pytest.fixture
def one_ds(paths):
    """One Datasette for all of a test's generated examples (a function-scoped fixture is made once per test, not
    per example): on Datasette 1.0 starting one took most of the test's time, 150 of them 41 s."""
    return make_ds(paths)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(origin=ORIGINS)
@pytest.mark.asyncio
async def test_any_origin_header_is_an_answer_never_a_5xx(one_ds, models, origin):
    """A malformed Origin ("http://[::1") made urlsplit raise: a 500 on every POST route, MCP included."""
    ds = one_ds
    headers = {"Origin": origin, "Content-Type": "application/json"}
    for path, body in (
        ("/db/-/ask.json", {"question": "x"}),
        ("/-/llm/query.json", {"database": "db", "sql": "select 1"}),
    ):
        response = await ds.client.post(path, json=body, headers=headers)
        assert response.status_code < 500, (path, origin, response.text[:200])
    response = await mcp(ds, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"Origin": origin})
    assert response.status_code < 500, (origin, response.text[:200])


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/db/-/ask.json", "/-/llm/query.json", "/-/mcp", "/-/llm/db/examples"])
async def test_a_csrf_token_that_is_not_ascii_is_refused_not_a_500(paths, models, path):
    """asgi-csrf compares tokens with secrets.compare_digest, which raises on other characters."""
    ds = make_ds(paths)
    header = await ds.client.post(
        path, content=b"{}", headers={"Content-Type": "application/json", "x-csrftoken": b"\xe9"}
    )
    assert header.status_code == 403, (header.status_code, header.text[:200])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"csrftoken=%C3%A9&q=x", b"csrftoken=%ff"):
        response = await ds.client.post(path, content=body, headers=form, cookies={"x": "1"})
        assert response.status_code == 403, (body, response.status_code, response.text[:200])
    assert models.requested == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/db/-/ask.json", "/db%2Fx/-/ask.json", "/-/mcp"])
async def test_bodies_are_capped_under_a_base_url(paths, models, path):
    """ds.client puts the base_url (/pre/) in front of the path."""
    ds = Datasette([str(p) for p in paths], secret=SECRET, settings={"base_url": "/pre/"})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cookies = {"ds_csrftoken": ds.sign("t", "csrftoken")}
    big = await ds.client.post(path, content=b"q=" + b"x" * (5 * 1024 * 1024), headers=form, cookies=cookies)
    assert big.status_code == 413, (big.status_code, big.text[:200])
    assert models.requested == 0
