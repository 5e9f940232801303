""" "Example vectors are computed once, 16 at a time, and kept in the store; a question waits at most a second for
those of a big import, then goes on with those made" (docs/examples.md): a question waits for the whole of one
batch (examples/vectors.py VECTOR_BATCH), and only for more than that at most VECTOR_WAIT_SECONDS. An outside
tester's mutation run (session 55, tier 2 in session 56) found that waiting briefly for exactly one batch passed
the suite.

Oracle: the stand-in embedding model's nearness. An example whose question shares no word with the asked one, but
means the same, is chosen only by its vector: with exactly VECTOR_BATCH examples missing their vectors (a slow
model, the brief wait made shorter than it), it is chosen.
"""

import asyncio

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.pipeline import ask
from datasette_llm.examples import vectors

QUESTION = "Which people have animals?"
NEAR = ("Who looks after pets?", "select name from owners")


class SlowTopicEmbedder:
    """[1, 0] for texts about people looking after pets, else [0, 1]; each call takes 0.2 s."""

    name = "slow-topics"

    async def aembed(self, texts):
        await asyncio.sleep(0.2)
        about = ("people", "looks after")
        return np.array([[1.0, 0.0] if any(w in t.lower() for w in about) else [0.0, 1.0] for t in texts], np.float32)


def datasette_with(db_path):
    blocks = {"plugins": {"datasette-llm": {"few_shot_examples": 1, "few_shot_kept_tokens": 0}}}
    return Datasette([str(db_path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


@pytest.mark.asyncio
async def test_a_question_waits_for_a_whole_batch_of_missing_vectors(tmp_path, monkeypatch):
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: SlowTopicEmbedder())
    monkeypatch.setattr(vectors, "VECTOR_WAIT_SECONDS", 0.05)
    datasette = datasette_with(make_pets_db(tmp_path / "pets.db"))
    current = schema_hash(await datasette.get_database("pets").execute_fn(database_schema))
    store = ExampleStore.for_settings(load_settings({}))
    checked = {"added_by": "t", "schema_hash": current, "reads": '["dogs"]', "names": '["dogs"]'}
    for n in range(vectors.VECTOR_BATCH - 1):  # stored without vectors, as by a client that does not make them
        store.add("pets", f"Dog number {n}?", f"select name from dogs where id = {n}", **checked)
    store.add("pets", *NEAR, **{**checked, "reads": '["owners"]', "names": '["name", "owners"]'})
    model = ScriptedModel([sql_reply("select name from owners")])
    result = await ask(datasette, "pets", QUESTION, model=model, sql_only=True)
    assert [e["question"] for e in result.examples] == [NEAR[0]], result.examples
