"""The MCP endpoint in-process: JSON-RPC rules, both protocol eras, sessions, batches, Origin, tools, permissions.

Results are checked against the official SDK's per-revision wire schemas (mcp_types.methods).
"""

import json

import pytest
from agents_helpers import (
    BIG_CELL,
    BIG_ROWS,
    HIDE_SECRET,
    NO_SQL,
    bearer,
    build_db,
    datasette_for,
    rows_fetched,
)
from mcp_types.methods import validate_server_result

from datasette_llm.agents.mcp.dispatch import HANDSHAKE_VERSIONS, MODERN_VERSIONS, handle_message
from datasette_llm.agents.rebinding import origin_allowed

MODERN = MODERN_VERSIONS[-1]
CLIENT_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
}


@pytest.fixture
def ds(tmp_path):
    return datasette_for(build_db(tmp_path / "db.db"), HIDE_SECRET)


async def post(ds, message, version="2025-06-18", headers=None, **kwargs):
    all_headers = {"Accept": "application/json, text/event-stream"}
    if version:
        all_headers["MCP-Protocol-Version"] = version
    all_headers.update(headers or {})
    return await ds.client.post(
        "/-/mcp",
        content=json.dumps(message).encode(),
        headers={"Content-Type": "application/json", **all_headers},
        **kwargs,
    )


def request(method, params=None, id=1):
    message = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


async def call(ds, name, arguments, version="2025-06-18", **kwargs):
    response = await post(ds, request("tools/call", {"name": name, "arguments": arguments}), version, **kwargs)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    validate_server_result("tools/call", version, result)
    return result


def modern_headers(method, name=None):
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name:
        headers["Mcp-Name"] = name
    return headers


async def modern(ds, method, params=None, headers=None):
    params = dict(params or {})
    params.setdefault("_meta", CLIENT_META)
    return await post(
        ds, request(method, params), version=None, headers=headers or modern_headers(method, params.get("name"))
    )


# Handshake era ----------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_initialize_negotiates_and_issues_a_session(ds):
    params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    response = await post(ds, request("initialize", params), version=None)
    assert response.status_code == 200
    result = response.json()["result"]
    validate_server_result("initialize", "2025-06-18", result)
    assert result["protocolVersion"] == "2025-06-18"
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert result["serverInfo"]["name"] == "datasette-llm" and result["instructions"]
    session = response.headers["mcp-session-id"]
    assert session and all(33 <= ord(c) <= 126 for c in session)
    # The session is accepted, and names its revision when the header is missing.
    ping = await post(ds, request("ping", id="p"), version=None, headers={"Mcp-Session-Id": session})
    assert ping.json() == {"jsonrpc": "2.0", "id": "p", "result": {}}
    # An unknown revision gets the newest handshake revision back.
    other = await post(ds, request("initialize", {**params, "protocolVersion": "1999-01-01"}), version=None)
    assert other.json()["result"]["protocolVersion"] == HANDSHAKE_VERSIONS[-1]
    missing = await post(ds, request("initialize", {"capabilities": {}}), version=None)
    assert missing.json()["error"]["code"] == -32602


@pytest.mark.asyncio
async def test_notifications_get_and_sessions(ds):
    note = await post(ds, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert note.status_code == 202 and note.content == b""
    get = await ds.client.get("/-/mcp")
    assert get.status_code == 405 and "POST" in get.headers["allow"]
    init = await post(
        ds,
        request(
            "initialize",
            {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
        ),
        version=None,
    )
    session = init.headers["mcp-session-id"]
    forged = await post(ds, request("ping"), headers={"Mcp-Session-Id": session[:-2] + "xx"})
    assert forged.status_code == 404
    deleted = await ds.client.delete("/-/mcp", headers={"Mcp-Session-Id": session})
    assert deleted.status_code == 204
    after = await post(ds, request("ping"), headers={"Mcp-Session-Id": session})
    assert after.status_code == 404


@pytest.mark.asyncio
async def test_json_rpc_errors(ds):
    bad_json = await ds.client.post("/-/mcp", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": bad_json.json()["error"]["message"]},
    }
    unknown = await post(ds, request("resources/list"))
    assert unknown.json()["error"]["code"] == -32601
    not_rpc = await post(ds, {"id": 3, "method": "ping"})
    assert not_rpc.status_code == 400 and not_rpc.json()["error"]["code"] == -32600
    bad_id = await post(ds, {"jsonrpc": "2.0", "id": True, "method": "ping"})
    assert bad_id.json()["error"]["code"] == -32600
    bad_params = await post(ds, {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": [1]})
    assert bad_params.json()["error"]["code"] == -32602
    unknown_tool = await post(ds, request("tools/call", {"name": "drop_everything"}))
    assert unknown_tool.json()["error"]["code"] == -32602
    bad_arguments = await post(ds, request("tools/call", {"name": "query", "arguments": "select 1"}))
    assert bad_arguments.json()["error"]["code"] == -32602
    wrong_version = await post(ds, request("ping"), version="1999-01-01")
    assert wrong_version.status_code == 400
    not_json = await ds.client.post("/-/mcp", content=b"{}", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 415
    html_only = await post(ds, request("ping"), headers={"Accept": "text/html"})
    assert html_only.status_code == 406
    assert (await post(ds, {"jsonrpc": "2.0", "id": 9, "result": {}})).status_code == 202  # a stray response


@pytest.mark.asyncio
async def test_batches_follow_the_revision(ds):
    batch = [
        request("ping", id=1),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        request("tools/list", id=2),
        request("initialize", {"protocolVersion": "2025-03-26"}, id=3),
    ]
    old = await post(ds, batch, version="2025-03-26")
    assert old.status_code == 200
    by_id = {item["id"]: item for item in old.json()}
    assert set(by_id) == {1, 2, 3}
    assert by_id[1]["result"] == {} and len(by_id[2]["result"]["tools"]) == 5
    assert by_id[3]["error"]["code"] == -32600  # initialize may not be batched
    only_notes = await post(ds, [{"jsonrpc": "2.0", "method": "notifications/initialized"}], version="2025-03-26")
    assert only_notes.status_code == 202
    assert (await post(ds, [], version="2025-03-26")).status_code == 400
    new = await post(ds, batch, version="2025-06-18")
    assert new.status_code == 400 and new.json()["error"]["code"] == -32600


@pytest.mark.asyncio
async def test_a_notification_named_initialize_in_a_batch_gets_no_reply(ds):
    """JSON-RPC 2.0: no reply to a notification, in a batch too; only an initialize *request* may not be batched.
    The batch answered `{"id": null, "error": ...}` for it, where the same notification alone got 202 (an outside
    tester's generated batches, session 53)."""
    note = {"jsonrpc": "2.0", "method": "initialize", "params": {"protocolVersion": "2025-03-26"}}
    alone = await post(ds, note, version="2025-03-26")
    assert alone.status_code == 202 and alone.content == b""
    batch = await post(ds, [request("ping", id=1), note], version="2025-03-26")
    assert batch.status_code == 200 and batch.json() == [{"jsonrpc": "2.0", "id": 1, "result": {}}]
    only = await post(ds, [note], version="2025-03-26")
    assert only.status_code == 202 and only.content == b""
    asked = await post(ds, [request("initialize", {"protocolVersion": "2025-03-26"}, id="x")], version="2025-03-26")
    assert [(item["id"], item["error"]["code"]) for item in asked.json()] == [("x", -32600)]


@pytest.mark.asyncio
async def test_a_batch_starts_no_message_after_its_time(ds, monkeypatch):
    """Each message of a batch may run a query to its time limit: 20 of them held one request for 20 s."""
    import asyncio

    from datasette_llm.agents.mcp import transport

    handled = transport.handle_message

    async def slow(*args, **kwargs):
        await asyncio.sleep(0.2)
        return await handled(*args, **kwargs)

    monkeypatch.setattr(transport, "handle_message", slow)
    monkeypatch.setattr(transport, "BATCH_SECONDS", 0.3)
    batch = [request("ping", id=n) for n in range(1, 6)] + [
        {"jsonrpc": "2.0", "method": "notifications/initialized"},  # a notification: never answered
        {"jsonrpc": "2.0", "id": 99, "result": {}},  # a response: never answered
        {"jsonrpc": "2.0", "id": True, "method": "ping"},  # invalid: answered -32600, as before the deadline
    ]
    response = await post(ds, batch, version="2025-03-26")
    assert response.status_code == 200
    invalid = [item for item in response.json() if item["id"] is None]
    assert len(invalid) == 1 and invalid[0]["error"]["code"] == -32600
    by_id = {item["id"]: item for item in response.json() if item["id"] is not None}
    assert by_id[1]["result"] == {} and set(by_id) == {1, 2, 3, 4, 5}  # 2 runs unless 1 took over 0.3 s
    assert all(
        by_id[n]["error"]["code"] == -32004 and "send this message again" in by_id[n]["error"]["message"]
        for n in (3, 4, 5)
    )


@pytest.mark.asyncio
async def test_origin_is_checked(ds):
    evil = await post(ds, request("ping"), headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    local = await post(ds, request("ping"), headers={"Origin": "http://localhost:6274"})
    assert local.status_code == 200
    # DNS rebinding: a foreign name that resolves to a local server, calling "itself".
    assert not origin_allowed("http://evil.example:8001", "evil.example:8001", "127.0.0.1")
    assert not origin_allowed("http://evil.example:8001", "evil.example:8001", "192.168.1.5")
    assert origin_allowed("https://data.example.com", "data.example.com", "93.184.216.34")
    assert origin_allowed("http://127.0.0.1:3000", "127.0.0.1:8001", "127.0.0.1")
    assert not origin_allowed("null", "127.0.0.1:8001", "127.0.0.1")
    assert origin_allowed(None, "anything", "127.0.0.1")


# Tools ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", HANDSHAKE_VERSIONS)
@pytest.mark.asyncio
async def test_tools_list_per_revision(ds, version):
    response = await post(ds, request("tools/list"), version=version)
    result = response.json()["result"]
    validate_server_result("tools/list", version, result)
    tools = {tool["name"]: tool for tool in result["tools"]}
    assert set(tools) == {"list_tables", "describe_table", "query", "ask", "semantic_search"}
    assert tools["query"]["inputSchema"]["required"] == ["sql"]
    assert ("annotations" in tools["query"]) == (version != "2024-11-05")
    assert ("title" in tools["query"]) == (version in ("2025-06-18", "2025-11-25"))
    if "annotations" in tools["query"]:
        assert tools["query"]["annotations"]["readOnlyHint"] is True


@pytest.mark.asyncio
async def test_query_tool_caps_and_notes(ds):
    result = await call(ds, "query", {"database": "db", "sql": "select id, body from docs"})
    assert result["isError"] is False
    data = result["structuredContent"]
    assert json.loads(result["content"][0]["text"]) == data
    fetched = rows_fetched(16 + BIG_CELL)  # an integer counts 16, the body its characters
    assert data["truncated"] is True and data["rows_fetched"] == fetched and data["row_count"] <= fetched
    assert data["more_rows"] is True and "fetching stops at 2,000,000 characters of rows" in data["note"]
    assert "clipped to 500 characters" in data["note"] and data["chars"] <= 20_000
    old = await call(ds, "query", {"sql": "select count(*) as n from docs"}, version="2025-03-26")
    assert "structuredContent" not in old and json.loads(old["content"][0]["text"])["rows"] == [[BIG_ROWS]]


@pytest.mark.asyncio
async def test_rejected_sql_is_a_tool_error_with_the_rejection(ds):
    result = await call(ds, "query", {"database": "db", "sql": "delete from users"})
    assert result["isError"] is True
    data = result["structuredContent"]
    assert data["code"] == "sql_rejected" and data["rejection"]["kind"] == "not_select"
    missing = await call(ds, "query", {"database": "db"})
    assert missing["isError"] is True and "sql" in missing["structuredContent"]["error"]


@pytest.mark.asyncio
async def test_hidden_table_is_absent_from_every_tool(ds):
    listed = await call(ds, "list_tables", {})
    assert "secret" not in json.dumps(listed)
    db = next(d for d in listed["structuredContent"]["databases"] if d["name"] == "db")
    assert {t["name"] for t in db["tables"]} == {"users", "repos", "docs", "popular"}
    described = await call(ds, "describe_table", {"database": "db", "table": "secret"})
    assert described["isError"] is True and described["structuredContent"]["status"] == 404
    assert "secret" not in described["structuredContent"]["tables"]
    queried = await call(ds, "query", {"database": "db", "sql": "select * from secret"})
    assert queried["isError"] is True and queried["structuredContent"]["kind"] == "unknown_table"
    assert "hunter2" not in json.dumps(queried)
    admin = await call(ds, "query", {"database": "db", "sql": "select code from secret"}, headers=bearer("admin"))
    assert admin["structuredContent"]["rows"] == [["hunter2"]]


@pytest.mark.asyncio
async def test_describe_table_tool(ds):
    result = await call(ds, "describe_table", {"database": "db", "table": "docs"})
    data = result["structuredContent"]
    assert [c["name"] for c in data["columns"]] == ["id", "title", "body"] and data["row_count"] == BIG_ROWS
    assert len(json.dumps(data["example_rows"])) < 4000 and data["example_rows"]["rows"]


@pytest.mark.asyncio
async def test_query_tool_without_execute_sql(tmp_path):
    ds = datasette_for(build_db(tmp_path / "db.db", big=False), NO_SQL)
    result = await call(ds, "query", {"database": "db", "sql": "select 1"})
    assert result["isError"] is True and result["structuredContent"]["status"] == 403


@pytest.mark.asyncio
async def test_handle_message_is_a_plain_function(ds):
    assert await handle_message(ds, None, {"jsonrpc": "2.0", "method": "notifications/initialized"}) is None
    response = await handle_message(ds, None, request("tools/call", {"name": "list_tables", "arguments": {}}))
    assert response["result"]["isError"] is False


# 2026-07-28: no handshake, a per-request envelope ------------------------------------------------------------


@pytest.mark.asyncio
async def test_modern_discover_list_and_call(ds):
    discovered = await modern(ds, "server/discover")
    assert discovered.status_code == 200, discovered.text
    result = discovered.json()["result"]
    validate_server_result("server/discover", MODERN, result)
    assert MODERN in result["supportedVersions"] and result["resultType"] == "complete"
    assert "mcp-session-id" not in discovered.headers
    listed = (await modern(ds, "tools/list")).json()["result"]
    validate_server_result("tools/list", MODERN, listed)
    called = await modern(ds, "tools/call", {"name": "query", "arguments": {"sql": "select count(*) from users"}})
    result = called.json()["result"]
    validate_server_result("tools/call", MODERN, result)
    assert result["structuredContent"]["rows"] == [[2]] and result["resultType"] == "complete"


@pytest.mark.asyncio
@pytest.mark.parametrize("bad_id", [True, {}, [1], 1.5])
async def test_modern_envelope_errors_echo_only_ids_a_client_can_match(ds, bad_id):
    """An id that is not a string or an integer is answered null, as the handshake era answers it and as this
    revision does once the envelope is right: the envelope's refusals echoed `true`, `{}` or `[1]` (an outside
    tester's generated messages, session 53). A string or an integer id is echoed."""
    for id_, expected in ((bad_id, None), ("a-7", "a-7"), (7, 7)):
        message = {"jsonrpc": "2.0", "id": id_, "method": "tools/list", "params": {}}
        no_meta = await post(ds, message, version=None, headers=modern_headers("tools/list"))
        assert no_meta.status_code == 400 and no_meta.json()["id"] == expected, (id_, no_meta.text)
        message["params"] = {"_meta": CLIENT_META}
        mismatch = await post(ds, message, version=None, headers=modern_headers("tools/call"))
        assert mismatch.status_code == 400 and mismatch.json()["id"] == expected, (id_, mismatch.text)


@pytest.mark.asyncio
async def test_modern_envelope_errors(ds):
    no_meta = await post(ds, request("tools/list", {}), version=None, headers=modern_headers("tools/list"))
    assert no_meta.status_code == 400 and no_meta.json()["error"]["code"] == -32602
    mismatch = await modern(ds, "tools/list", headers=modern_headers("tools/call"))
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == -32020
    name_mismatch = await modern(
        ds,
        "tools/call",
        {"name": "query", "arguments": {"sql": "select 1"}},
        headers=modern_headers("tools/call", "list_tables"),
    )
    assert name_mismatch.json()["error"]["code"] == -32020
    future = {**CLIENT_META, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
    unsupported = await post(
        ds,
        request("tools/list", {"_meta": future}),
        version=None,
        headers={"MCP-Protocol-Version": "2099-01-01", "Mcp-Method": "tools/list"},
    )
    assert unsupported.status_code == 400
    error = unsupported.json()["error"]
    assert error["code"] == -32022 and error["data"] == {"supported": [MODERN], "requested": "2099-01-01"}
    no_initialize = await modern(ds, "initialize", {"protocolVersion": MODERN})
    assert no_initialize.status_code == 404 and no_initialize.json()["error"]["code"] == -32601
    note = await post(ds, {"jsonrpc": "2.0", "method": "notifications/cancelled"}, version=MODERN)
    assert note.status_code == 202
    batch = await post(ds, [request("tools/list", {"_meta": CLIENT_META})], version=MODERN)
    assert batch.status_code == 400


@pytest.mark.asyncio
async def test_ask_tool_takes_a_mode(ds, monkeypatch):
    from ask_helpers import ScriptedModel

    import datasette_llm.ask.pipeline

    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, **k: ScriptedModel([]))
    text = await call(ds, "ask", {"database": "db", "question": "How many users?", "mode": "text"})
    assert text["isError"] is True and "has embeddings" in text["structuredContent"]["error"]
    bogus = await call(ds, "ask", {"database": "db", "question": "How many users?", "mode": "magic"})
    assert bogus["isError"] is True and "'mode' argument must be one of" in bogus["structuredContent"]["error"]
    listed = await post(ds, request("tools/list"))
    ask_tool = next(t for t in listed.json()["result"]["tools"] if t["name"] == "ask")
    assert ask_tool["inputSchema"]["properties"]["mode"]["enum"] == ["auto", "sql", "text", "both"]


@pytest.mark.asyncio
async def test_ask_tool_says_rows_were_cut_at_asks_own_row_cap(tmp_path, monkeypatch):
    """With `max_rows` below `query_max_rows`, the rows Ask kept are already cut: the tool said "All 5 rows
    returned." of a 10-row table while its notes said "5 of more than 5" (an outside tester, session 36)."""
    from ask_helpers import ScriptedModel, sql_reply

    import datasette_llm.ask.pipeline

    ds = datasette_for(build_db(tmp_path / "db.db"), HIDE_SECRET, {"max_rows": 2, "warm_up": False})
    replies = [sql_reply("select name from repos order by id"), "Three repos."]
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, **k: ScriptedModel(replies))
    result = (await call(ds, "ask", {"database": "db", "question": "Repo names?", "mode": "sql"}))["structuredContent"]
    assert result["rows"] == [["datasette"], ["sqlite-utils"]] and result["row_cap_hit"] is True
    assert result["rows_truncated"] is True and "All" not in result["rows_note"]


@pytest.mark.asyncio
async def test_ask_tool_call_is_given_up_when_the_client_leaves(ds, monkeypatch):
    """An `ask` call whose client disconnects stops its model call and frees its place in the model's queue (it
    ran on to the end before, as ask.json did: found by an outside attacker)."""
    import asyncio
    import threading
    import time

    from ask_helpers import ScriptedModel

    import datasette_llm.ask.pipeline

    class Blocked(ScriptedModel):
        def __init__(self):
            super().__init__([])
            self.saw_cancel = threading.Event()

        def _complete(self, messages, options, cancel):
            while not cancel.wait(0.02):
                pass
            self.saw_cancel.set()
            raise RuntimeError("cancelled")

    model = Blocked()
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, **k: model)
    body = json.dumps(request("tools/call", {"name": "ask", "arguments": {"database": "db", "question": "How many?"}}))
    messages = [{"type": "http.request", "body": body.encode(), "more_body": False}]
    gone = asyncio.Event()
    asyncio.get_running_loop().call_later(0.5, gone.set)

    async def receive():
        if messages:
            return messages.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    statuses = []

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    headers = [
        (b"host", b"localhost"),
        (b"content-type", b"application/json"),
        (b"accept", b"application/json, text/event-stream"),
        (b"mcp-protocol-version", b"2025-06-18"),
    ]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/-/mcp",
        "raw_path": b"/-/mcp",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    started = time.monotonic()
    await asyncio.wait_for(ds.app()(scope, receive, send), 10)
    assert time.monotonic() - started < 5 and statuses == [499]
    assert await asyncio.to_thread(model.saw_cancel.wait, 5)
    deadline = time.monotonic() + 5
    while model._gate.waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert model._gate.waiting == 0
