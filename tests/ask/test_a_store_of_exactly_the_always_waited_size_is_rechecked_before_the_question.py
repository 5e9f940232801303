"""After a schema change, "a question waits for it at most 1 s when the database has more than 100 examples"
(docs/examples.md): with at most few_shot_pool.RECHECK_WAIT_ALWAYS examples it waits for the whole re-check, and a
teacher's note then says which were set aside. The suite's test of the wait held a store bigger than the limit
only: an outside tester's mutation run (session 55, tier 2 in session 56) found that waiting briefly for a store of
exactly RECHECK_WAIT_ALWAYS examples passed the suite.

Oracle: a store of exactly RECHECK_WAIT_ALWAYS examples (the limit made 2, each check made slower than the brief
wait) gives the teacher the set-aside note; one example more does not wait for it.
"""

import asyncio

import numpy as np
import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.ask.pipeline import ask

NOTE = "1 trusted example no longer fit the database's tables and were set aside"


class KeywordEmbedder:
    name = "keywords"

    async def aembed(self, texts):
        return np.array([[1.0, 0.0] if "age" in text else [0.0, 1.0] for text in texts], dtype=np.float32)


def teaching_datasette(db_path):
    blocks = {"plugins": {"datasette-llm": {"allow_teach": True}}}
    return Datasette([str(db_path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


async def ask_after_a_change(tmp_path, monkeypatch, stored):
    from datasette_llm.ask import few_shot_pool
    from datasette_llm.config import load_settings
    from datasette_llm.examples import check
    from datasette_llm.examples.store import ExampleStore

    db_path = make_pets_db(tmp_path / "pets.db")
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: KeywordEmbedder())
    store = ExampleStore.for_settings(load_settings({}))
    checked = {"added_by": "t", "reads": '["dogs"]', "names": '["age", "dogs", "name"]'}
    store.add(
        "pets", "What is the age of Rex?", "select age from dogs where name = 'Rex'", schema_hash="old", **checked
    )
    store.add("pets", "How old is Rex, in years?", "select years from dogs", schema_hash="old", **checked)
    for n in range(stored - 2):
        store.add("pets", f"Dog {n}?", f"select name from dogs where id = {n}", schema_hash="old", **checked)
    monkeypatch.setattr(few_shot_pool, "RECHECK_WAIT_ALWAYS", 2)
    monkeypatch.setattr(few_shot_pool, "RECHECK_WAIT_SECONDS", 0.05)
    real = check.check_select_off_loop

    async def slow(sql, schema, **kwargs):
        await asyncio.sleep(0.3)
        return await real(sql, schema, **kwargs)

    monkeypatch.setattr(check, "check_select_off_loop", slow)
    model = ScriptedModel([sql_reply("select age from dogs where name = 'Fido'")])
    return await ask(teaching_datasette(db_path), "pets", "What is the age of Fido?", model=model, sql_only=True)


@pytest.mark.asyncio
async def test_a_store_of_exactly_the_limit_is_checked_again_before_the_question(tmp_path, monkeypatch):
    result = await ask_after_a_change(tmp_path, monkeypatch, stored=2)
    assert any(NOTE in note for note in result.notes), result.notes


@pytest.mark.asyncio
async def test_a_store_of_one_more_is_not_waited_for(tmp_path, monkeypatch):
    result = await ask_after_a_change(tmp_path, monkeypatch, stored=3)
    assert not any("set aside" in note for note in result.notes), result.notes
