"""MCP `ask` fails where Ask's JSON API fails: a question the model cannot answer with SQL that runs (replies that
hold no SQL, SQL the guard refuses, a table the actor may not see) is an MCP error result (`isError`), never a
success, and one Ask answers is a success with the same SQL. The oracle is POST /{db}/-/ask.json with the same
scripted replies (an outside tester's mutation run, session 48: an MCP `ask` that returned failures as successes
went unnoticed)."""

import pytest
from agents_helpers import HIDE_SECRET, build_db, mcp_tool
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

REPLIES = {
    "no sql": ["I cannot answer that."],
    "refused sql": [sql_reply("delete from users")],
    "hidden table": [sql_reply("select * from secret")],
    "no such table": [sql_reply("select * from nowhere")],
    "answered": [sql_reply("select count(*) from users"), "There are some users."],
}


async def mcp_ask(ds, question):
    return await mcp_tool(ds, "ask", {"database": "db", "question": question, "mode": "sql"})


@pytest.mark.asyncio
@pytest.mark.parametrize("case", sorted(REPLIES))
async def test_mcp_ask_fails_where_the_json_api_fails(tmp_path, monkeypatch, case):
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    ds = Datasette([str(build_db(tmp_path / "db.db", big=False))], metadata=HIDE_SECRET)

    def use(replies):
        model = ScriptedModel(replies * 6)
        for module in (datasette_llm.ask.pipeline, datasette_llm.web.ask):
            monkeypatch.setattr(module, "chat_model_for", lambda *a, **k: model)
        return model

    first = use(REPLIES[case])
    api = await ds.client.post("/db/-/ask.json", json={"question": f"How many users? ({case})", "mode": "sql"})
    second = use(REPLIES[case])
    result = await mcp_ask(ds, f"How many users? ({case}, again)")
    assert first.calls and second.calls  # both asked the scripted model, nothing else
    answered = api.status_code == 200 and api.json()["ok"] is True
    assert result["isError"] is (not answered), (case, api.status_code, api.text[:300], result)
    if answered:
        assert result["structuredContent"]["sql"] == api.json()["sql"]
    else:
        assert api.status_code >= 400 or api.json()["ok"] is False
    assert answered == (case == "answered")
