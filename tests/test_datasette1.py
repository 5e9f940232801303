"""Datasette 1.0 as a first-class target: datasette.yaml configuration, 1.0 API tokens, the llm-ask action.

Skipped on Datasette 0.65 (the rest of the suite runs on both: setup-scripts/test.sh runs it twice). Here the
configuration is passed the 1.0 way, as `config=` (what `datasette serve -c datasette.yaml` reads), never as
metadata; one test serves a real datasette.yaml with `datasette serve` and a token from `datasette create-token`.
"""

import itertools
import json
import subprocess
import sys

import httpx
import pytest
import sqlite_utils
import yaml
from ask_helpers import ScriptedModel, sql_reply
from datasette import hookimpl
from datasette_versions import DATASETTE1_SKIPS, DATASETTE_1, DATASETTE_VERSION
from server_helpers import ARTIFACTS, ROOT, free_port, stop, wait_for_http

if not DATASETTE_1:
    pytest.skip(f"needs Datasette 1.0 (installed: {DATASETTE_VERSION})", allow_module_level=True)

from datasette.app import Datasette  # noqa: E402
from datasette.tokens import TokenRestrictions  # noqa: E402

from datasette_llm import permissions  # noqa: E402
from datasette_llm.config import settings_for  # noqa: E402

SECRET = "datasette1-secret"
ADMIN, BOB = {"id": "admin"}, {"id": "bob"}
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}
# The permissions of issue 15's scenarios, written as datasette.yaml: only admin runs SQL or sees `secret`.
CONFIG = {
    "databases": {
        "db": {
            "allow_sql": {"id": "admin"},
            "tables": {"secret": {"allow": {"id": "admin"}}},
        }
    },
    "plugins": {"datasette-llm": {"warm_up": False, "max_rows": 50}},
}


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "db.db"
    db = sqlite_utils.Database(path)
    db["items"].insert_all([{"id": i, "title": f"item {i}"} for i in range(3)], pk="id")
    db["secret"].insert({"id": 1, "code": "hunter2"}, pk="id")
    db.close()
    return path


@pytest.fixture
def model(monkeypatch):
    """Every Ask gets a scripted model that counts the items (and never touches the real one)."""
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    def scripted(*args, **kwargs):
        return ScriptedModel([sql_reply("select count(*) as n from items"), "There are 3 items."] * 3)

    monkeypatch.setattr(datasette_llm.web.ask, "chat_model_for", scripted)
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", scripted)


def make(db_path, config=CONFIG, **kwargs) -> Datasette:
    return Datasette([str(db_path)], config=json.loads(json.dumps(config)), secret=SECRET, **kwargs)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def tables_of(described: dict) -> list[str]:
    """Table names of a schema listing (schema.json or MCP list_tables) for its one database."""
    return [t["name"] for t in described["databases"][0]["tables"]]


async def mcp_tool(ds, name, arguments, headers=None):
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    response = await ds.client.post("/-/mcp", content=json.dumps(message), headers={**MCP_HEADERS, **(headers or {})})
    assert response.status_code == 200, response.text
    return response.json()["result"]["structuredContent"]


# -- configuration from datasette.yaml -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_plugin_settings_come_from_datasette_yaml(db_path):
    ds = make(db_path, {"plugins": {"datasette-llm": {"max_rows": 7, "openai_api_key": {"$env": "DS1_TEST_KEY"}}}})
    settings = settings_for(ds)
    assert settings.max_rows == 7 and settings.warm_up is True
    # Metadata no longer carries plugin settings on 1.0: the same block there is moved into config by
    # Datasette itself, so both spellings configure the plugin.
    moved = Datasette([str(db_path)], metadata={"plugins": {"datasette-llm": {"max_rows": 9}}})
    assert settings_for(moved).max_rows == 9


@pytest.mark.asyncio
async def test_allow_sql_and_table_allow_from_datasette_yaml(db_path, model):
    ds = make(db_path)
    await ds.invoke_startup()
    assert not await permissions.can_execute_sql(ds, BOB, "db")
    assert await permissions.can_execute_sql(ds, ADMIN, "db")
    assert await permissions.visible_tables(ds, BOB, "db") == ["items"]
    assert await permissions.visible_tables(ds, ADMIN, "db") == ["items", "secret"]
    bob = {"cookies": {"ds_actor": ds.client.actor_cookie(BOB)}}
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, **bob)).status_code == 403
    admin = {"cookies": {"ds_actor": ds.client.actor_cookie(ADMIN)}}
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, **admin)
    assert response.status_code == 200 and response.json()["rows"] == [[3]]
    assert response.json()["edit_sql_url"].startswith("/db/-/query?sql=")


@pytest.mark.asyncio
async def test_llm_ask_is_a_registered_action(db_path):
    ds = make(db_path)
    await ds.invoke_startup()
    action = ds.actions[permissions.LLM_ASK]
    assert action.resource_class.__name__ == "DatabaseResource" and "datasette-llm" in action.description
    # Datasette's own permission debugger knows it.
    response = await ds.client.get("/-/actions.json", cookies={"ds_actor": ds.client.actor_cookie({"id": "root"})})
    if response.status_code == 200:
        assert permissions.LLM_ASK in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize("action", [permissions.LLM_ASK, permissions.LLM_TEACH])
async def test_allowed_resources_never_list_a_database_the_actor_may_not_view(tmp_path, db_path, action):
    """An outside tester (session 20): with `allow_ask: true`, /-/allowed.json?action=llm-ask listed a database
    hidden from the asker; both actions need view-database, as Datasette's own database actions do."""
    vault = tmp_path / "vault.db"
    sqlite_utils.Database(vault)["ledger"].insert({"id": 1})
    config = {
        "plugins": {"datasette-llm": {"allow_ask": True, "allow_teach": True}},
        "databases": {"vault": {"allow": {"id": "admin"}}},
    }
    ds = Datasette([str(db_path), str(vault)], config=config)
    await ds.invoke_startup()
    listed = {}
    for name, actor in (("anonymous", None), ("admin", ADMIN)):
        cookies = {"ds_actor": ds.client.actor_cookie(actor)} if actor else {}
        response = await ds.client.get(f"/-/allowed.json?action={action}", cookies=cookies)
        assert response.status_code == 200, response.text
        listed[name] = response.text
    assert "vault" not in listed["anonymous"] and "vault" in listed["admin"]


@pytest.mark.asyncio
async def test_permissions_block_grants_llm_ask_without_execute_sql(db_path, model):
    config = json.loads(json.dumps(CONFIG))
    config["databases"]["db"]["permissions"] = {"llm-ask": {"id": "bob"}}
    ds = make(db_path, config)
    bob = {"cookies": {"ds_actor": ds.client.actor_cookie(BOB)}}
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, **bob)
    assert response.status_code == 200 and response.json()["rows"] == [[3]]
    assert response.json()["edit_sql_url"] is None  # he still may not run SQL of his own
    assert (await ds.client.get("/-/llm/query.json?database=db&sql=select+1", **bob)).status_code == 403
    assert (await ds.client.get("/db/-/query?sql=select+1", **bob)).status_code == 403
    carol = {"cookies": {"ds_actor": ds.client.actor_cookie({"id": "carol"})}}
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, **carol)).status_code == 403


@pytest.mark.asyncio
async def test_a_permissions_block_for_llm_ask_refuses_the_others_who_may_run_sql(db_path, model):
    """As on 0.65, where the block's verdict is an opinion: it fell through to execute-sql on 1.0 and anyone who
    could run SQL asked (an outside tester with third-party permission plugins, session 44)."""
    config = {"databases": {"db": {"permissions": {"llm-ask": {"id": "dave"}}}}, "plugins": CONFIG["plugins"]}
    ds = make(db_path, config)
    for actor, status in (({"id": "dave"}, 200), ({"id": "erin"}, 403), (None, 403)):
        cookies = {"ds_actor": ds.client.actor_cookie(actor)} if actor else {}
        assert (await ds.client.get("/db/-/query.json?sql=select+1", cookies=cookies)).status_code == 200
        response = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, cookies=cookies)
        assert response.status_code == status, (actor, response.text)


class DenyAsking:
    """Another plugin's rules: llm-ask denied on `db` (or everywhere) to erin, execute-sql left alone."""

    def __init__(self, parent):
        self.parent = parent

    @hookimpl
    def permission_resources_sql(self, datasette, actor, action):
        from datasette.permissions import PermissionSQL

        if action != "llm-ask" or not actor or actor.get("id") != "erin":
            return None
        return PermissionSQL(
            sql="SELECT :deny_parent AS parent, NULL AS child, 0 AS allow, 'no asking for erin' AS reason",
            params={"deny_parent": self.parent},
        )


@pytest.mark.asyncio
@pytest.mark.parametrize("parent", ["db", None], ids=["database", "instance"])
async def test_another_plugins_denial_of_llm_ask_is_kept(db_path, model, parent):
    from datasette.plugins import pm
    from datasette.resources import DatabaseResource

    plugin = DenyAsking(parent)
    pm.register(plugin, name="deny-asking")
    try:
        ds = make(db_path, {"plugins": CONFIG["plugins"]})
        await ds.invoke_startup()
        erin, frank = {"id": "erin"}, {"id": "frank"}
        assert not await ds.allowed(action="llm-ask", resource=DatabaseResource("db"), actor=erin)
        assert await ds.allowed(action="execute-sql", resource=DatabaseResource("db"), actor=erin)
        assert not await permissions.can_ask(ds, erin, "db")
        assert await permissions.can_ask(ds, frank, "db")  # no rule for him: asking follows execute-sql
        cookies = {"ds_actor": ds.client.actor_cookie(erin)}
        response = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, cookies=cookies)
        assert response.status_code == 403, response.text
        mcp = await ds.client.post(
            "/-/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "ask", "arguments": {"database": "db", "question": "How many items?"}},
            },
            cookies=cookies,
        )
        assert "error" in mcp.json() or mcp.json()["result"].get("isError"), mcp.text
    finally:
        pm.unregister(plugin)


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["instance", "database"])
async def test_allow_ask_setting_from_datasette_yaml(db_path, model, where):
    """The plugin's allow_ask works on 1.0 as on 0.65: it grants asking, and refuses it to everyone else,
    actors with execute-sql included."""
    config = json.loads(json.dumps(CONFIG))
    if where == "instance":
        config["plugins"]["datasette-llm"]["allow_ask"] = {"id": "bob"}
    else:
        config["databases"]["db"]["plugins"] = {"datasette-llm": {"allow_ask": {"id": "bob"}}}
    ds = make(db_path, config)
    await ds.invoke_startup()
    assert await permissions.can_ask(ds, BOB, "db")
    assert not await permissions.can_ask(ds, ADMIN, "db")
    assert not await permissions.can_ask(ds, None, "db")
    # Datasette's own allowed() agrees, through our permission_resources_sql hook.
    from datasette.resources import DatabaseResource

    assert await ds.allowed(action="llm-ask", resource=DatabaseResource("db"), actor=BOB)
    assert not await ds.allowed(action="llm-ask", resource=DatabaseResource("db"), actor=ADMIN)
    bob = {"cookies": {"ds_actor": ds.client.actor_cookie(BOB)}}
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, **bob)).status_code == 200
    admin = {"cookies": {"ds_actor": ds.client.actor_cookie(ADMIN)}}
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, **admin)).status_code == 403


# -- 1.0 API tokens ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_api_token_actor_is_used_by_every_json_api(db_path, model):
    """`dstok_` tokens (Datasette's own, no plugin) sign the request in as their actor: the schema API,
    query API, Ask API and MCP answer with that actor's permissions."""
    ds = make(db_path)
    await ds.invoke_startup()
    admin, bob = bearer(await ds.create_token("admin")), bearer(await ds.create_token("bob"))

    schema = await ds.client.get("/-/llm/schema.json?database=db", headers=admin)
    assert tables_of(schema.json()) == ["items", "secret"]
    assert tables_of((await ds.client.get("/-/llm/schema.json?database=db", headers=bob)).json()) == ["items"]
    query = {"database": "db", "sql": "select code from secret"}
    response = await ds.client.post("/-/llm/query.json", json=query, headers=admin)
    assert response.status_code == 200 and response.json()["rows"] == [["hunter2"]]
    assert (await ds.client.post("/-/llm/query.json", json=query, headers=bob)).status_code == 403
    ask = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, headers=admin)
    assert ask.status_code == 200 and ask.json()["rows"] == [[3]]
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, headers=bob)).status_code == 403
    listed = await mcp_tool(ds, "list_tables", {"database": "db"}, admin)
    assert tables_of(listed) == ["items", "secret"]
    assert tables_of(await mcp_tool(ds, "list_tables", {"database": "db"}, bob)) == ["items"]
    assert (await mcp_tool(ds, "query", {"database": "db", "sql": "select 1"}, bob))["status"] == 403
    assert (await mcp_tool(ds, "query", {"database": "db", "sql": "select code from secret"}, admin))["rows"] == [
        ["hunter2"]
    ]
    # A token that is not Datasette's (bad signature) is refused, not treated as anonymous.
    forged = await ds.client.get("/-/llm/schema.json", headers=bearer("dstok_forged"))
    assert forged.status_code in (401, 403)


@pytest.mark.asyncio
async def test_api_token_restrictions_apply(db_path, model):
    """A token restricted to viewing may not run SQL or ask, whatever its actor may do."""
    ds = make(db_path)
    await ds.invoke_startup()
    view_only = TokenRestrictions().allow_all("view-instance").allow_all("view-database").allow_all("view-table")
    token = bearer(await ds.create_token("admin", restrictions=view_only))
    schema = await ds.client.get("/-/llm/schema.json?database=db", headers=token)
    assert schema.status_code == 200 and schema.json()["databases"][0]["can_execute_sql"] is False
    query = {"database": "db", "sql": "select 1"}
    assert (await ds.client.post("/-/llm/query.json", json=query, headers=token)).status_code == 403
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, headers=token)).status_code == 403
    # Where asking follows execute-sql (no llm-ask rule), the token needs execute-sql to ask ...
    sql = TokenRestrictions().allow_all("view-instance").allow_database("db", "view-database")
    sql = sql.allow_database("db", "view-table").allow_database("db", "execute-sql")
    token = bearer(await ds.create_token("admin", restrictions=sql))
    ask = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, headers=token)
    assert ask.status_code == 200, ask.text
    # ... and where a rule grants llm-ask, a token restricted to llm-ask (no execute-sql) asks but runs no SQL.
    config = json.loads(json.dumps(CONFIG))
    config["databases"]["db"]["permissions"] = {"llm-ask": {"id": "bob"}}
    ds = make(db_path, config)
    await ds.invoke_startup()
    asker = TokenRestrictions().allow_all("view-instance").allow_database("db", "view-database")
    asker = asker.allow_database("db", "view-table").allow_database("db", "llm-ask")
    token = bearer(await ds.create_token("bob", restrictions=asker))
    ask = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, headers=token)
    assert ask.status_code == 200, ask.text
    assert (await ds.client.post("/-/llm/query.json", json=query, headers=token)).status_code == 403
    # A token that may not even view the database finds none to ask (the 404 of a missing one).
    token = bearer(await ds.create_token("bob", restrictions=TokenRestrictions().allow_all("view-table")))
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, headers=token)).status_code == 404


@pytest.mark.asyncio
async def test_token_post_needs_no_csrf_even_with_cookies(db_path, model):
    ds = make(db_path)
    await ds.invoke_startup()
    token = bearer(await ds.create_token("admin"))
    response = await ds.client.post(
        "/db/-/ask.stream", json={"question": "How many items?"}, headers=token, cookies={"ds_actor": "x"}
    )
    assert response.status_code == 200 and "event: result" in response.text


@pytest.mark.asyncio
async def test_mcp_cross_origin_is_refused_by_datasette(db_path):
    """On 1.0 Datasette's own cross-origin protection answers browser POSTs from another origin (403) before
    the plugin; its own origin, and clients that send no Origin (SDKs, curl), reach MCP."""
    ds = make(db_path)
    ping = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    for origin in ("http://evil.example", "http://localhost:6274", "null"):
        refused = await ds.client.post("/-/mcp", content=ping, headers={**MCP_HEADERS, "Origin": origin})
        assert refused.status_code == 403, origin
    same = await ds.client.post("/-/mcp", content=ping, headers={**MCP_HEADERS, "Origin": "http://localhost"})
    assert same.status_code == 200
    assert (await ds.client.post("/-/mcp", content=ping, headers=MCP_HEADERS)).status_code == 200
    # A form with the browser's cookies but no word of where it comes from: refused as on 0.65 (its CSRF check).
    form = await ds.client.post("/-/mcp", data={"x": "1"}, cookies={"ds_actor": "x"})
    assert form.status_code == 403


# -- a real server: datasette serve -c datasette.yaml, a token from datasette create-token ----------------


def test_served_with_datasette_yaml_and_a_cli_token(tmp_path, db_path):
    config_path = tmp_path / "datasette.yaml"
    config_path.write_text(yaml.safe_dump(CONFIG))
    datasette = [sys.executable, "-m", "datasette"]
    created = subprocess.run(
        [*datasette, "create-token", "admin", "--secret", SECRET], capture_output=True, text=True, check=True
    )
    token = created.stdout.strip()
    assert token.startswith("dstok_")
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "datasette1_served.log", "w") as log:
        process = subprocess.Popen(
            [*datasette, "serve", str(db_path), "-c", str(config_path), "--secret", SECRET]
            + ["--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(base + "/-/versions.json", process, timeout=60)
            with httpx.Client(base_url=base, timeout=30) as client:
                anonymous = client.get("/-/llm/schema.json?database=db").json()["databases"][0]
                assert [t["name"] for t in anonymous["tables"]] == ["items"]
                assert anonymous["can_execute_sql"] is False
                admin = client.get("/-/llm/schema.json?database=db", headers=bearer(token)).json()["databases"][0]
                assert [t["name"] for t in admin["tables"]] == ["items", "secret"] and admin["can_execute_sql"]
                query = {"database": "db", "sql": "select code from secret"}
                assert client.post("/-/llm/query.json", json=query).status_code == 403
                response = client.post("/-/llm/query.json", json=query, headers=bearer(token))
                assert response.status_code == 200 and response.json()["rows"] == [["hunter2"]]
                message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
                message["params"] = {"name": "query", "arguments": query}
                mcp = client.post("/-/mcp", json=message, headers={**MCP_HEADERS, **bearer(token)})
                assert mcp.status_code == 200 and mcp.json()["result"]["structuredContent"]["rows"] == [["hunter2"]]
                refused = client.post("/-/mcp", json=message, headers=MCP_HEADERS)
                assert refused.json()["result"]["structuredContent"]["status"] == 403
        finally:
            stop(process)


def test_every_skipped_node_id_names_a_test_that_exists():
    """A moved or renamed test would silently stop being skipped here: its node id must still name it."""
    for node_id in DATASETTE1_SKIPS:
        path, name = node_id.split("::")
        assert (ROOT / path).is_file(), node_id
        assert f"def {name}(" in (ROOT / path).read_text(), node_id


@pytest.mark.asyncio
async def test_a_restricted_token_of_an_examples_author_does_not_see_it_once_its_table_is_dropped(db_path, tmp_path):
    """An example of a table dropped since is listed only to its author; not to a token the author restricted to
    other tables, which may never have been allowed to see it (an outside tester, session 18)."""
    config = json.loads(json.dumps(CONFIG))
    config["plugins"]["datasette-llm"].update({"allow_teach": {"id": "admin"}, "state_dir": str(tmp_path / "state")})
    ds = make(db_path, config)
    await ds.invoke_startup()
    admin = bearer(await ds.create_token("admin"))
    secret = {"question": "PRIVATE codes?", "sql": "select code from secret"}
    added = await ds.client.post("/-/llm/db/examples", json=secret, headers=admin)
    assert added.status_code == 201, added.text
    db = sqlite_utils.Database(db_path)
    db["secret"].drop()
    db.close()
    items_only = TokenRestrictions().allow_all("view-instance").allow_database("db", "view-database")
    items_only = items_only.allow_database("db", "llm-teach").allow_resource("db", "items", "view-table")
    restricted = bearer(await ds.create_token("admin", restrictions=items_only))
    listed = await ds.client.get("/-/llm/db/examples.json", headers=restricted)
    assert listed.status_code == 200 and "PRIVATE" not in listed.text, listed.text
    own = await ds.client.get("/-/llm/db/examples.json", headers=admin)
    assert [e["question"] for e in own.json()["set_aside"]] == ["PRIVATE codes?"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "config, root_asks",
    [
        (CONFIG, False),  # allow_sql for admin only: Datasette refuses root SQL, so asking is refused too
        ({**CONFIG, "plugins": {"datasette-llm": {"warm_up": False, "allow_ask": {"id": "root"}}}}, True),
        ({**CONFIG, "permissions": {"llm-ask": {"id": "root"}}}, True),  # a rule for llm-ask
        ({"databases": {"db": {"permissions": {"llm-ask": {"id": "root"}}, "allow_sql": False}}}, True),
        ({"plugins": {"datasette-llm": {"warm_up": False}}}, True),  # root may run SQL: may ask
    ],
)
async def test_root_asks_where_it_may_run_sql_unless_a_rule_says_otherwise(db_path, model, config, root_asks):
    """`--root` gives root every action on 1.0, llm-ask too: root asked where Datasette refused it SQL (0.65
    refused; an outside tester's differential of the two versions, session 37). Root's grant is a default, not a
    rule: with no llm-ask rule, asking follows execute-sql for root as for anyone."""
    ds = Datasette([str(db_path)], config=config)
    ds.root_enabled = True
    await ds.invoke_startup()
    root = {"ds_actor": ds.client.actor_cookie({"id": "root"})}
    assert await permissions.can_ask(ds, {"id": "root"}, "db") is root_asks
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, cookies=root)
    assert response.status_code == (200 if root_asks else 403), response.text


# Actions a token may be restricted to, beside the views it needs to see the database at all.
EXTRA = ["llm-ask", "execute-sql", "llm-teach"]


def _allow_ask_config(where: str) -> dict:
    config = {"plugins": {"datasette-llm": {"warm_up": False, "max_rows": 50}}, "databases": {"db": {}}}
    if where == "instance":
        config["plugins"]["datasette-llm"]["allow_ask"] = {"id": "bob"}
    else:
        config["databases"]["db"]["plugins"] = {"datasette-llm": {"allow_ask": {"id": "bob"}}}
    return config


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["instance", "database"])
async def test_allow_ask_grants_asking_only_to_tokens_allowed_llm_ask(db_path, model, where):
    """An API token's restrictions bind where the plugin's `allow_ask` grants asking, as they bind where a
    `permissions:` block does (mutation testing, session 46: `setting or allowed(llm-ask)` in can_ask instead of
    `and` passed the whole suite)."""
    ds = Datasette([str(db_path)], config=json.loads(json.dumps(_allow_ask_config(where))), secret=SECRET)
    await ds.invoke_startup()
    for size in range(len(EXTRA) + 1):
        for extra in itertools.combinations(EXTRA, size):
            for scope in ("all", "database"):
                restrictions = TokenRestrictions().allow_all("view-instance").allow_database("db", "view-database")
                restrictions = restrictions.allow_database("db", "view-table")
                for action in extra:
                    restrictions = (
                        restrictions.allow_all(action) if scope == "all" else restrictions.allow_database("db", action)
                    )
                token = await ds.create_token("bob", restrictions=restrictions)
                headers = {"Authorization": f"Bearer {token}"}
                response = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, headers=headers)
                expected = 200 if "llm-ask" in extra else 403
                assert response.status_code == expected, (where, extra, scope, response.text[:300])
    # The unrestricted actor asks; the verdict function agrees with the page.
    assert await permissions.can_ask(ds, BOB, "db")
    cookies = {"ds_actor": ds.client.actor_cookie(BOB)}
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, cookies=cookies)).status_code == 200
