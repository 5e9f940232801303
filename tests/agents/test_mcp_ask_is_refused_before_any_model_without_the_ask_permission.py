"""MCP `ask` checks the actor's permission to ask before any model is requested (SECURITY.md: "MCP `ask` (like
every MCP tool) checks all its arguments, the database, the table and the permission before any model is
requested"): an actor who may not ask gets an error result (403) and the model is never called; an actor who may
ask gets the model.

Generated over configurations (execute-sql for admin only; allow_ask for admin only) and actors (anonymous, a
signed-in user, admin); the oracle for who may ask is Datasette's own answer to the same actor: its SQL endpoint
(`/db.json?sql=`) where asking follows execute-sql, and the allow_ask rule's own actor list where it is set.
"""

import pytest
from agents_helpers import NO_SQL, bearer, build_db, datasette_for, mcp_tool
from datasette_versions import DATASETTE_1

pytestmark = pytest.mark.skipif(DATASETTE_1, reason="the oracle is 0.65's /db.json?sql= and metadata allow_sql")

ACTORS = {"anonymous": {}, "someone": bearer("someone"), "admin": bearer("admin")}
CONFIGS = {
    "execute-sql admin only": (NO_SQL, None, None),
    "allow_ask admin only": ({}, {"allow_ask": {"id": "admin"}}, {"admin"}),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("config", sorted(CONFIGS))
async def test_only_actors_who_may_ask_reach_the_model(tmp_path, monkeypatch, config):
    from ask_helpers import ScriptedModel, sql_reply

    import datasette_llm.ask.pipeline

    metadata, plugin_config, askers = CONFIGS[config]
    ds = datasette_for(build_db(tmp_path / "db.db", big=False), metadata, plugin_config)
    for name, headers in ACTORS.items():
        model = ScriptedModel([sql_reply("select count(*) from users")] * 5)
        monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, model=model, **k: model)
        sql_page = await ds.client.get("/db.json?sql=select+1", headers=headers)
        may_ask = sql_page.status_code == 200 if askers is None else name in askers
        arguments = {"database": "db", "question": "How many users?", "mode": "sql"}
        result = await mcp_tool(ds, "ask", arguments, headers=headers)
        if may_ask:
            assert model.calls, (config, name, result)
        else:
            assert result["isError"] is True, (config, name, result)
            assert result["structuredContent"]["status"] == 403, (config, name, result["structuredContent"])
            assert model.calls == [], (config, name, "the model was asked for an actor who may not ask")
