"""Each kept turn of `history` is an object whose `question` is a string: a turn whose question is a number, null, an
object or a list, or that has none, is a 400 naming what a turn needs, over the JSON API and in process, before any
model is asked; never a 500 (ask/question.py normalise_history; an outside tester's gap Q08, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.errors import BadRequest
from datasette_llm.web import ask as web_ask

TURNS = [{"question": 1}, {"question": None, "sql": "select 1"}, {"question": {"q": "x"}}, {"question": ["x"]}, {}]


@pytest.mark.asyncio
async def test_turns_without_a_question_string_are_refused(tmp_path, monkeypatch):
    path = make_pets_db(tmp_path / "pets.db")
    model = ScriptedModel([])
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: model)
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    for turn in TURNS:
        with pytest.raises(BadRequest, match="needs a 'question' string"):
            await ask(Datasette([str(path)]), "pets", "How many dogs?", model=model, history=[turn])
        response = await ds.client.post("/pets/-/ask.json", json={"question": "How many dogs?", "history": [turn]})
        assert response.status_code == 400, (turn, response.text[:300])
        assert "needs a 'question' string" in response.json()["error"]
    assert model.calls == []
