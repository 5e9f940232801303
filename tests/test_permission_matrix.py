"""Permission matrix: actors x (view-database, view-table, execute-sql) x every surface. Zero leaks.

A leak is the secret table's value or its column name reaching an actor who may not view that table, or any
surface answering (other than 403) for an actor who may not view the database or run SQL where that is needed.
"""

import json

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

SECRET_VALUE = "hunter2-zebra"
SECRET_COLUMN = "launch_code"
ACTORS = {"anonymous": None, "admin": {"id": "admin"}, "bob": {"id": "bob"}}
SCENARIOS = {
    "open": {},
    "secret_table_hidden": {"databases": {"db": {"tables": {"secret": {"allow": {"id": "admin"}}}}}},
    "database_hidden": {"databases": {"db": {"allow": {"id": "admin"}}}},
    "no_execute_sql": {"databases": {"db": {"allow_sql": {"id": "admin"}}}},
}


def may_view_secret(scenario, actor):
    return scenario in ("open", "no_execute_sql") or actor == "admin"


def may_view_db(scenario, actor):
    return scenario != "database_hidden" or actor == "admin"


def may_run_sql(scenario, actor):
    return may_view_db(scenario, actor) and (scenario != "no_execute_sql" or actor == "admin")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory, embedding_model):
    from datasette_llm.embeddings import embed_table

    path = tmp_path_factory.mktemp("matrix") / "db.db"
    db = sqlite_utils.Database(path)
    db["items"].insert_all([{"id": i, "title": f"launch plans for rocket {i}"} for i in range(5)], pk="id")
    db["secret"].insert({"id": 1, SECRET_COLUMN: SECRET_VALUE, "note": "rocket launch secret codes"}, pk="id")
    db.close()
    embed_table(path, "items", model=embedding_model)
    embed_table(path, "secret", model=embedding_model)
    return path


def cookies_for(ds, actor):
    return {"ds_actor": ds.sign({"a": ACTORS[actor]}, "actor")} if ACTORS[actor] else {}


# Surfaces whose request (or the scripted model's SQL) names the column itself: only the value counts there.
ECHOES_COLUMN = {"ask json", "query", "mcp query"}


def leaks(surface, text):
    return SECRET_VALUE in text or (surface not in ECHOES_COLUMN and SECRET_COLUMN in text)


def attacker_model():
    return ScriptedModel([sql_reply(f"select {SECRET_COLUMN} from secret")] * 3 + ["answer"] * 3)


async def mcp(ds, cookies, name, arguments):
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    return await ds.client.post(
        "/-/mcp",
        content=json.dumps(message).encode(),
        cookies=cookies,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-06-18",
        },
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("actor", list(ACTORS))
async def test_no_surface_leaks(db_path, scenario, actor, monkeypatch):
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    monkeypatch.setattr(datasette_llm.web.ask, "chat_model_for", lambda *a, **k: attacker_model())
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, **k: attacker_model())
    ds = Datasette([str(db_path)], metadata=SCENARIOS[scenario])
    cookies = cookies_for(ds, actor)
    secret_ok = may_view_secret(scenario, actor)
    db_ok, sql_ok = may_view_db(scenario, actor), may_run_sql(scenario, actor)
    responses = {}

    page = await ds.client.get("/db/-/ask", cookies=cookies)
    responses["ask page"] = page
    assert (page.status_code == 200) == sql_ok, ("ask page", page.status_code)

    csrf = ds.sign("matrix", "csrftoken")
    ask_json = await ds.client.post(
        "/db/-/ask.json",
        json={"question": "What is the launch code", "mode": "sql"},
        cookies={**cookies, "ds_csrftoken": csrf},
        headers={"x-csrftoken": csrf},
    )
    responses["ask json"] = ask_json
    if not db_ok:
        assert ask_json.status_code == 404  # the same answer as for a database that does not exist
    elif not sql_ok:
        assert ask_json.status_code == 403
    elif secret_ok:
        assert SECRET_VALUE in ask_json.text  # allowed actors really get it: the matrix is not vacuous
    else:
        assert ask_json.json()["attempts"][0]["error_kind"] == "unknown_table"

    search = await ds.client.get("/-/semantic-search?q=rocket+launch+secret&database=db&mode=semantic", cookies=cookies)
    responses["search"] = search
    if not db_ok:
        assert search.status_code == 404
    else:
        tables = {hit["table"] for hit in search.json()["hits"]}
        assert ("secret" in tables) == secret_ok

    schema = await ds.client.get("/-/llm/schema.json", cookies=cookies)
    responses["schema"] = schema
    assert schema.status_code == 200
    assert (SECRET_COLUMN in schema.text) == (secret_ok and db_ok)

    query = await ds.client.get(
        f"/-/llm/query.json?database=db&sql=select+{SECRET_COLUMN}+from+secret", cookies=cookies
    )
    responses["query"] = query
    if not db_ok:
        assert query.status_code == 404  # hidden databases are not confirmed to exist
    elif not sql_ok:
        assert query.status_code == 403
    else:
        assert (query.status_code == 200) == secret_ok

    for path in ("/.well-known/ai-plugin.json", "/-/llm/openapi.json"):
        response = await ds.client.get(path, cookies=cookies)
        responses[path] = response
        assert response.status_code == 200

    tools = (
        ("list_tables", {"database": "db"}),
        ("describe_table", {"database": "db", "table": "secret"}),
        ("query", {"database": "db", "sql": f"select {SECRET_COLUMN} from secret"}),
        ("semantic_search", {"q": "rocket launch secret", "database": "db"}),
    )
    for tool, arguments in tools:
        response = await mcp(ds, cookies, tool, arguments)
        responses[f"mcp {tool}"] = response
        assert response.status_code == 200
        result = response.json()["result"]
        if tool == "query":
            assert result.get("isError", False) == (not (sql_ok and secret_ok))

    for surface, response in responses.items():
        assert response.status_code < 500, (surface, response.status_code, response.text[:300])
        if not secret_ok or not db_ok:
            assert not leaks(surface, response.text), (surface, response.text[:500])
