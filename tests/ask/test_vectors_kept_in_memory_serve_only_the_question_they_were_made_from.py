"""A store that cannot be written keeps the vectors of its example questions in the server's memory, by example
id. "A vector counts for the example with its id only while that example still asks the question it was made
from: a store replaced while a fill ran gives the same ids to other examples (a new file counts from 1)"
(examples/vectors.py; docs/examples.md: a store deleted starts again at 1). An outside tester's mutation run
(session 55, tier 2 in session 56) found that using a vector kept in memory for whatever example has its id
passed the suite.

Oracle: the stand-in embedding model's nearness. Example #1 of a replaced store asks something far from the
question: it is not chosen on the strength of the vector of the first store's #1, which was near.
"""

import sqlite3

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.pipeline import ask

QUESTION = "Which people have animals?"
NEAR = ("Who looks after pets?", "select name from owners")
FAR = ("Dog number 7?", "select name from dogs where id = 7")


class TopicEmbedder:
    """[1, 0] for texts about people looking after pets, else [0, 1]."""

    name = "topics-in-memory"

    async def aembed(self, texts):
        about = ("people", "looks after")
        return np.array([[1.0, 0.0] if any(w in t.lower() for w in about) else [0.0, 1.0] for t in texts], np.float32)


@pytest.mark.asyncio
async def test_a_replaced_stores_example_is_not_ranked_by_the_vector_of_the_one_its_id_had(tmp_path, monkeypatch):
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: TopicEmbedder())

    def read_only(self, *args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(ExampleStore, "save_vectors", read_only)
    blocks = {"plugins": {"datasette-llm": {"few_shot_examples": 1, "few_shot_kept_tokens": 0}}}
    datasette = Datasette(
        [str(make_pets_db(tmp_path / "pets.db"))], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks})
    )
    current = schema_hash(await datasette.get_database("pets").execute_fn(database_schema))
    store = ExampleStore.for_settings(load_settings({}))
    near = store.add("pets", *NEAR, added_by="t", schema_hash=current, reads='["owners"]', names='["name", "owners"]')
    first = await ask(datasette, "pets", QUESTION, model=ScriptedModel([sql_reply(NEAR[1])]), sql_only=True)
    assert [e["id"] for e in first.examples] == [near.id]  # by its vector (no word is shared)
    for end in ("", "-wal", "-shm"):
        store.path.with_name(store.path.name + end).unlink(missing_ok=True)
    far = ExampleStore.for_settings(load_settings({})).add(
        "pets", *FAR, added_by="t", schema_hash=current, reads='["dogs"]', names='["dogs"]'
    )
    assert far.id == near.id  # a new file counts from 1
    second = await ask(datasette, "pets", QUESTION, model=ScriptedModel([sql_reply(NEAR[1])]), sql_only=True)
    assert [e["question"] for e in second.examples] == [], second.examples
