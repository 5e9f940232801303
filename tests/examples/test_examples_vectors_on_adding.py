"""The vectors of examples are made as they are added (examples/vectors.py vectors_on_adding): what an asker's
question sends the embedding model does not depend on examples the asker may not see."""

import asyncio
import time

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import settings_for
from datasette_llm.errors import ModelError
from datasette_llm.examples import ExampleStore, add_examples


class Recording:
    """An embedding model that records every text it is given (fails when `failing`)."""

    name = "recording"

    def __init__(self):
        self.texts, self.failing, self.delay = [], False, 0.0

    async def aembed(self, texts):
        await asyncio.sleep(self.delay)
        if self.failing:
            raise ModelError("The embedding model is down.")
        self.texts += list(texts)
        return np.array([[1.0, float(len(text))] for text in texts], dtype=np.float32)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    embedder = Recording()
    monkeypatch.setattr("datasette_llm.models.embedding_model_for", lambda *args, **kwargs: embedder)
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda *args, **kwargs: embedder)
    metadata = {"databases": {"pets": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))], metadata=metadata)
    return datasette, ExampleStore.for_settings(settings_for(datasette)), embedder  # the store questions read


@pytest.mark.asyncio
async def test_examples_get_their_vectors_as_they_are_added_and_a_question_embeds_no_hidden_text(setup):
    """An asker's first question after an admin added an example over a hidden table embedded that example's
    question within the asker's own request (an outside tester's noninterference oracle, session 42)."""
    datasette, store, embedder = setup
    pairs = [("How many secret codes?", "select count(*) from secret"), ("How many dogs?", "select count(*) from dogs")]
    outcomes = await add_examples(datasette, "pets", pairs, actor={"id": "admin"}, store=store)
    assert [o.status for o in outcomes] == ["added", "added"]
    assert embedder.texts == ["How many secret codes?", "How many dogs?"]
    assert set(store.vectors("pets", "recording")) == {o.example.id for o in outcomes}
    embedder.texts.clear()
    model = ScriptedModel([sql_reply("select count(*) from dogs")])
    result = await ask(datasette, "pets", "How many dogs are there?", model=model, sql_only=True)
    assert result.ok and [e["question"] for e in result.to_json()["examples"]] == ["How many dogs?"]
    assert embedder.texts == ["How many dogs are there?"]  # the question alone


@pytest.mark.asyncio
async def test_an_embedding_model_that_fails_leaves_the_vectors_to_the_questions(setup):
    datasette, store, embedder = setup
    embedder.failing = True
    (outcome,) = await add_examples(
        datasette, "pets", [("How many dogs?", "select count(*) from dogs")], actor=None, store=store, cli=True
    )
    assert outcome.status == "added" and store.vectors("pets", "recording") == {}
    embedder.failing = False
    model = ScriptedModel([sql_reply("select count(*) from dogs")])
    result = await ask(datasette, "pets", "How many dogs are there?", model=model, sql_only=True)
    assert result.ok and sorted(embedder.texts) == ["How many dogs are there?", "How many dogs?"]
    assert set(store.vectors("pets", "recording")) == {outcome.example.id}


@pytest.mark.asyncio
async def test_a_request_waits_for_a_slow_embedding_model_only_so_long_and_the_command_line_for_all(setup, monkeypatch):
    """An embedding server that took 20 s made adding an example on the page take 22 s (a second outside tester,
    session 42): a request waits ADD_WAIT_SECONDS, and the vectors are made all the same; the command line waits."""
    from datasette_llm.examples import vectors

    datasette, store, embedder = setup
    monkeypatch.setattr(vectors, "ADD_WAIT_SECONDS", 0.2)
    monkeypatch.setattr("datasette_llm.examples.check.ADD_WAIT_SECONDS", 0.2)
    embedder.delay = 1.5
    started = time.monotonic()
    (outcome,) = await add_examples(
        datasette, "pets", [("How many dogs?", "select count(*) from dogs")], actor={"id": "admin"}, store=store
    )
    assert outcome.status == "added" and time.monotonic() - started < 1.2
    await asyncio.sleep(2.5)  # the fill went on after the request
    assert set(store.vectors("pets", "recording")) == {outcome.example.id}
    (cli,) = await add_examples(
        datasette, "pets", [("How many owners?", "select count(*) from owners")], actor=None, store=store, cli=True
    )
    assert cli.example.id in store.vectors("pets", "recording")  # waited for
