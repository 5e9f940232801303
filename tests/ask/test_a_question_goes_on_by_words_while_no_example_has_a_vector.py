"""A question "waits at most a second for those of a big import, then goes on with those made" (docs/examples.md):
when none is made yet, its examples are ranked by the words they share with it, and the question itself is not
embedded, since no vector could be compared with it. An outside tester's mutation run (session 55, tier 2 in
session 56) found that embedding the question anyway passed the suite; with an embedding server that takes one
request at a time (busy with the fill), the question then lost every example ("trusted examples were not used").

Oracle: an example sharing most of the question's words is chosen, and no note says examples were not used, while
the embedding server is busy with the fill of a big import.
"""

import asyncio

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.pipeline import ask
from datasette_llm.errors import ModelUnavailable
from datasette_llm.examples import vectors

QUESTION = "What are the names of the owners?"
LIKE = ("What are the names of all owners?", "select name from owners")


class OneAtATimeEmbedder:
    """An embedding server that takes one request at a time: 0.5 s each, and any other request meanwhile fails."""

    name = "one-at-a-time"

    def __init__(self):
        self.busy = False

    async def aembed(self, texts):
        if self.busy:
            raise ModelUnavailable("The embedding server is busy.")
        self.busy = True
        try:
            await asyncio.sleep(0.5)
            return np.array([[float(len(t) % 7), 1.0] for t in texts], dtype=np.float32)
        finally:
            self.busy = False


@pytest.mark.asyncio
async def test_a_question_ranks_by_words_while_the_fill_has_made_no_vector(tmp_path, monkeypatch):
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    embedder = OneAtATimeEmbedder()
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: embedder)
    monkeypatch.setattr(vectors, "VECTOR_WAIT_SECONDS", 0.05)
    blocks = {"plugins": {"datasette-llm": {"few_shot_examples": 1, "few_shot_kept_tokens": 0}}}
    datasette = Datasette(
        [str(make_pets_db(tmp_path / "pets.db"))], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks})
    )
    current = schema_hash(await datasette.get_database("pets").execute_fn(database_schema))
    store = ExampleStore.for_settings(load_settings({}))
    checked = {"added_by": "t", "schema_hash": current, "reads": '["dogs"]', "names": '["dogs"]'}
    for n in range(vectors.VECTOR_BATCH + 4):  # a big import: the question does not wait for its vectors
        store.add("pets", f"Dog number {n}?", f"select name from dogs where id = {n}", **checked)
    store.add("pets", *LIKE, **{**checked, "reads": '["owners"]', "names": '["name", "owners"]'})
    result = await ask(datasette, "pets", QUESTION, model=ScriptedModel([sql_reply(LIKE[1])]), sql_only=True)
    assert not any("not used" in note for note in result.notes), result.notes
    assert [e["question"] for e in result.examples] == [LIKE[0]], result.examples
    await asyncio.sleep(1.2)  # let the fill end before the test does
