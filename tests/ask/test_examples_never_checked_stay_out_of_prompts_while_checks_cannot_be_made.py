"""An example stored before its checks were kept (a store of an earlier release: no `reads`, no `names`) gets them
before it is used (examples/check.py fill_checks). When they cannot be made for a question (the guard's queue full,
the store locked), "examples never checked are left out": their text may name a table the asker may not see, which
only those checks would tell. An outside tester's mutation run (session 55, tier 2 in session 56) found that using
them unchecked passed the suite.

Oracle: an admin's legacy example whose question names the hidden `secret` never reaches an asker's prompt (the
result lists what the prompt showed), whether or not its checks can be made; a legacy example naming nothing
hidden is used once they can.
"""

import numpy as np
import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from examples_helpers import make_database

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.guard_worker import GuardBusy

ASKER = {"id": "asker"}
METADATA = {"databases": {"db": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}
NAMING = ("How many cats know the launch_code in secret?", "select count(*) from cats")
PLAIN = ("How many cats are there?", "select count(*) from cats where id > 0")


class FlatEmbedder:
    name = "flat"

    async def aembed(self, texts):
        return np.ones((len(texts), 2), dtype=np.float32)


async def legacy_store(db_path):
    from datasette_llm.config import load_settings
    from datasette_llm.examples.check import database_schema, schema_hash
    from datasette_llm.examples.store import ExampleStore

    datasette = Datasette([str(db_path)], metadata=METADATA)
    current = schema_hash(await datasette.get_database("db").execute_fn(database_schema))
    store = ExampleStore.for_settings(load_settings({}))
    for question, sql in (NAMING, PLAIN):
        store.add("db", question, sql, added_by="admin", schema_hash=current, reads=None, names=None)
    return datasette


async def asked(datasette):
    model = ScriptedModel([sql_reply("select count(*) from cats")])
    result = await ask(datasette, "db", "How many cats are there?", actor=ASKER, model=model, sql_only=True)
    return [e["question"] for e in result.examples]


@pytest.mark.asyncio
async def test_legacy_examples_are_left_out_while_their_checks_cannot_be_made(tmp_path, monkeypatch):
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: FlatEmbedder())
    datasette = await legacy_store(make_database(tmp_path / "db.db"))

    async def busy(*args, **kwargs):
        raise GuardBusy("The SQL guard is busy; try again.")

    monkeypatch.setattr("datasette_llm.examples.check.fill_checks", busy)
    shown = await asked(datasette)
    assert NAMING[0] not in shown
    assert shown == []


@pytest.mark.asyncio
async def test_legacy_examples_naming_nothing_hidden_are_used_once_checked(tmp_path, monkeypatch):
    monkeypatch.setattr("datasette_llm.ask.examples_stage.embedding_model_for", lambda settings: FlatEmbedder())
    datasette = await legacy_store(make_database(tmp_path / "db.db"))
    assert await asked(datasette) == [PLAIN[0]]
