"""`history` is a list of turns or absent (null): any other value, an empty string, 0, false or an object among
them, is a 400 saying so, over the JSON API, the stream and in process, before any model is asked (ask/question.py
normalise_history; an outside tester's gaps Q05 and Q12, session 56: `{}` was a 500, `""` and `false` no history)."""

import json

import pytest
from ask_helpers import ScriptedModel, make_pets_db
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.errors import BadRequest
from datasette_llm.web import ask as web_ask

NOT_LISTS = ["", "nope", 0, 1, False, True, {}, {"question": "How many dogs?", "sql": "select 1"}]


@pytest.fixture
def db_path(tmp_path):
    return make_pets_db(tmp_path / "pets.db")


@pytest.mark.asyncio
@pytest.mark.parametrize("history", NOT_LISTS, ids=repr)
async def test_in_process(db_path, history):
    model = ScriptedModel([])
    with pytest.raises(BadRequest, match="history must be a list"):
        await ask(Datasette([str(db_path)]), "pets", "How many dogs?", model=model, history=history)
    assert model.calls == []


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["ask.json", "ask.stream"])
async def test_over_http(db_path, monkeypatch, path):
    model = ScriptedModel([])
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: model)
    ds = Datasette([str(db_path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    for history in NOT_LISTS:
        body = json.dumps({"question": "How many dogs?", "history": history})
        response = await ds.client.post(f"/pets/-/{path}", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, (history, response.text[:300])
        assert "history must be a list" in response.json()["error"]
    assert model.calls == []
