"""`mode` and `table` in an Ask request: absent, null or "" (a form's empty field) mean "auto" and no table; any
other value that is not text is a 400 before any model is asked, on the JSON API and the stream alike, as the MCP
`ask` tool refuses it. false, 0, [] and {} were taken as absent and the question answered (an outside tester,
session 56)."""

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from examples_helpers import make_database

import datasette_llm.web.ask as web_ask

NOT_TEXT = [False, True, 0, 1, 2.5, [], ["sql"], {}, {"mode": "sql"}]
ABSENT = [None, ""]


@pytest.fixture
def server(tmp_path, monkeypatch):
    path = make_database(tmp_path / "db.db")
    models = []

    def model_for(settings):
        models.append(ScriptedModel([sql_reply("select count(*) from cats"), "There are 2 cats."]))
        return models[-1]

    monkeypatch.setattr(web_ask, "chat_model_for", model_for)
    return Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}}), models


@pytest.mark.asyncio
@pytest.mark.parametrize("field", ["mode", "table"])
@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize("route", ["ask.json", "ask.stream"])
async def test_a_value_that_is_not_text_is_a_bad_request(server, field, value, route):
    ds, models = server
    response = await ds.client.post(f"/db/-/{route}", json={"question": "How many cats?", field: value})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["ok"] is False and field in body["error"] and "must be" in body["error"]
    assert all(not m.calls for m in models)  # no model asked


@pytest.mark.asyncio
@pytest.mark.parametrize("field", ["mode", "table"])
@pytest.mark.parametrize("value", ABSENT, ids=repr)
async def test_null_and_empty_are_absent(server, field, value):
    ds, _ = server
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many cats?", field: value})
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [[2]]
