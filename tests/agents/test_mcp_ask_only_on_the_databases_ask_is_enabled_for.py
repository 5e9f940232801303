"""MCP `ask` answers only for the databases Ask is enabled for (the `databases` setting, docs/reference/settings.md:
"the databases that get Ask and search (unset: all)"): on any other database it is an error result and no model is
ever requested, for every actor who may otherwise ask.

Generated over which databases are listed (one, the other, both, unset) and which one is asked about; the oracle
is the documented setting itself.
"""

import pytest
from agents_helpers import build_db, mcp_tool
from datasette.app import Datasette

LISTS = [["one"], ["two"], ["one", "two"], None]


@pytest.mark.asyncio
@pytest.mark.parametrize("enabled", LISTS, ids=repr)
async def test_ask_on_a_database_ask_is_not_enabled_for(tmp_path, monkeypatch, enabled):
    from ask_helpers import ScriptedModel, sql_reply

    import datasette_llm.ask.pipeline

    paths = [build_db(tmp_path / f"{name}.db", big=False) for name in ("one", "two")]
    plugin = {} if enabled is None else {"databases": enabled}
    ds = Datasette([str(p) for p in paths], metadata={"plugins": {"datasette-llm": plugin}})
    for database in ("one", "two"):
        model = ScriptedModel([sql_reply("select count(*) from users")] * 5)
        monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, model=model, **k: model)
        arguments = {"database": database, "question": "How many users?", "mode": "sql"}
        result = await mcp_tool(ds, "ask", arguments)
        if enabled is None or database in enabled:
            assert model.calls, (enabled, database, result)
        else:
            assert result["isError"] is True, (enabled, database, result)
            assert model.calls == [], (enabled, database, "the model was asked about a database Ask is not enabled for")


@pytest.mark.asyncio
@pytest.mark.parametrize("enabled", LISTS, ids=repr)
async def test_the_python_api_answers_only_where_ask_is_enabled(tmp_path, monkeypatch, enabled):
    """The same setting holds for `ask()` itself, which the page, the JSON API, MCP and the CLI call: the check
    lives in permissions.require_ask, which the pipeline runs first (each surface checked it on its own before)."""
    from ask_helpers import ScriptedModel, sql_reply

    import datasette_llm.ask.pipeline
    from datasette_llm.ask import ask
    from datasette_llm.errors import NotFound

    paths = [build_db(tmp_path / f"{name}.db", big=False) for name in ("one", "two")]
    plugin = {"warm_up": False} if enabled is None else {"warm_up": False, "databases": enabled}
    ds = Datasette([str(p) for p in paths], metadata={"plugins": {"datasette-llm": plugin}})
    for database in ("one", "two"):
        model = ScriptedModel([sql_reply("select count(*) from users"), "There are some users."] * 3)
        monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, model=model, **k: model)
        if enabled is None or database in enabled:
            result = await ask(ds, database, "How many users?", mode="sql")
            assert result.rows and model.calls, (enabled, database)
        else:
            with pytest.raises(NotFound, match="Ask is not enabled"):
                await ask(ds, database, "How many users?", mode="sql")
            assert model.calls == [], (enabled, database)
