"""A question "waits at most a second for those of a big import, then goes on with those made" (docs/examples.md);
the fill goes on, and later questions rank by the vectors it made. What a question read of the store is kept for
the next questions only "when every example had its vector" (ask/few_shot_pool.py): a store that cannot be written
keeps the vectors in the server's memory, and its count of writes does not move, so a pool kept with vectors missing
would rank by words until the next write. An outside tester's mutation run (session 55, tier 2 in session 56)
found that keeping such a pool passed the suite.

Oracle: the stand-in embedding model's nearness. An example that shares no word with the question, but means the
same, is chosen only by its vector: the first question, which could not wait for the vectors, does not get it;
one asked after the fill ended does.
"""

import asyncio
import sqlite3

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
    """[1, 0] for texts about people looking after pets, else [0, 1]; each call of more than one text takes 0.3 s."""

    name = "slow-topics-2"

    async def aembed(self, texts):
        if len(texts) > 1:
            await asyncio.sleep(0.3)
        about = ("people", "looks after")
        return np.array([[1.0, 0.0] if any(w in t.lower() for w in about) else [0.0, 1.0] for t in texts], np.float32)


@pytest.mark.asyncio
async def test_vectors_made_after_a_question_serve_the_next_one_on_a_store_that_cannot_be_written(
    tmp_path, monkeypatch
):
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: SlowTopicEmbedder())
    monkeypatch.setattr(vectors, "VECTOR_WAIT_SECONDS", 0.05)
    blocks = {"plugins": {"datasette-llm": {"few_shot_examples": 1, "few_shot_kept_tokens": 0}}}
    datasette = Datasette(
        [str(make_pets_db(tmp_path / "pets.db"))], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks})
    )
    current = schema_hash(await datasette.get_database("pets").execute_fn(database_schema))
    store = ExampleStore.for_settings(load_settings({}))
    checked = {"added_by": "t", "schema_hash": current, "reads": '["dogs"]', "names": '["dogs"]'}
    for n in range(vectors.VECTOR_BATCH + 4):  # more than one batch: the question does not wait for them all
        store.add("pets", f"Dog number {n}?", f"select name from dogs where id = {n}", **checked)
    store.add("pets", *NEAR, **{**checked, "reads": '["owners"]', "names": '["name", "owners"]'})

    def read_only(self, *args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(ExampleStore, "save_vectors", read_only)
    first = await ask(datasette, "pets", QUESTION, model=ScriptedModel([sql_reply(NEAR[1])]), sql_only=True)
    assert [e["question"] for e in first.examples] == []  # by words alone: nothing like it
    await asyncio.sleep(1.5)  # the fill (two batches of 0.3 s) ends, its vectors kept in memory
    second = await ask(datasette, "pets", QUESTION, model=ScriptedModel([sql_reply(NEAR[1])]), sql_only=True)
    assert [e["question"] for e in second.examples] == [NEAR[0]], second.examples
