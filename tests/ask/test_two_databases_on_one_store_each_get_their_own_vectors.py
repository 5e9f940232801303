"""The vectors of example questions are made per database ("keyed by the database's name", docs/examples.md) by a
fill that the questions needing them share (examples/vectors.py). An outside tester's mutation run (session 55,
tier 2 in session 56) found that sharing one fill between the databases of one store passed the suite: a question
to one database that arrived while the other's fill ran waited for that fill, which made none of its vectors, and
ranked its examples by words.

Oracle: the stand-in embedding model's nearness. Each database holds an example that shares no word with the
question but means the same; asked of both at once, each question chooses its own database's example.
"""

import asyncio
import shutil

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.pipeline import ask

QUESTION = "Which people have animals?"


class SlowTopicEmbedder:
    """[1, 0] for texts about people looking after pets, else [0, 1]; each call takes 0.3 s."""

    name = "slow-topics-3"

    async def aembed(self, texts):
        await asyncio.sleep(0.3)
        about = ("people", "looks after")
        return np.array([[1.0, 0.0] if any(w in t.lower() for w in about) else [0.0, 1.0] for t in texts], np.float32)


@pytest.mark.asyncio
async def test_questions_to_two_databases_at_once_each_rank_by_their_own_vectors(tmp_path, monkeypatch):
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: SlowTopicEmbedder())
    first = make_pets_db(tmp_path / "pets.db")
    second = tmp_path / "kennel.db"
    shutil.copy(first, second)
    blocks = {"plugins": {"datasette-llm": {"few_shot_examples": 1, "few_shot_kept_tokens": 0}}}
    datasette = Datasette([str(first), str(second)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    await datasette.invoke_startup()  # as serving does (two first questions at once raced it on 1.0)
    current = schema_hash(await datasette.get_database("pets").execute_fn(database_schema))
    store = ExampleStore.for_settings(load_settings({}))
    near = {}
    for database in ("pets", "kennel"):
        checked = {"added_by": "t", "schema_hash": current, "reads": '["dogs"]', "names": '["dogs"]'}
        for n in range(3):
            store.add(database, f"Dog number {n}?", f"select name from dogs where id = {n}", **checked)
        question = f"Who looks after pets in {database}?"
        store.add(
            database, question, "select name from owners", **{**checked, "reads": '["owners"]', "names": '["owners"]'}
        )
        near[database] = question

    async def asked(database):
        model = ScriptedModel([sql_reply("select name from owners")])
        result = await ask(datasette, database, QUESTION, model=model, sql_only=True)
        return [e["question"] for e in result.examples]

    pets, kennel = await asyncio.gather(asked("pets"), asked("kennel"))
    assert pets == [near["pets"]] and kennel == [near["kennel"]], (pets, kennel)
