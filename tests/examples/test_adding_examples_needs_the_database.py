"""The Python API that adds trusted examples (datasette_llm.examples.add_example / add_examples) checks the SQL
against what the actor may see: of a database they may not view, nothing, so it is refused exactly as a database
that does not exist is (the same error, word for word), and nothing is stored. Oracle: Datasette's own answer for
the actor on `/{db}.json`, and the store file on disk."""

import json
import sqlite3

import pytest
from datasette.app import Datasette
from examples_helpers import make_database

from datasette_llm.config import settings_for
from datasette_llm.errors import DatasetteLLMError
from datasette_llm.examples import ExampleStore, add_examples

ACTORS = [None, {"id": "admin"}, {"id": "teacher"}, {"id": 7}]
RULES = [None, {"id": "admin"}, {"id": ["admin", "teacher"]}, False]
PAIRS = [("How many cats?", "select count(*) from cats"), ("Codes?", "select launch_code from secret")]


def sign(ds, actor):
    return {"ds_actor": ds.sign({"a": actor}, "actor")} if actor else {}


@pytest.mark.asyncio
async def test_an_actor_adds_examples_only_to_a_database_they_may_view(tmp_path):
    path = make_database(tmp_path / "db.db")
    for number, rule in enumerate(RULES):
        state = tmp_path / f"state{number}"
        metadata = {"databases": {"db": {} if rule is None else {"allow": rule}}}
        metadata["plugins"] = {"datasette-llm": {"state_dir": str(state), "warm_up": False}}
        ds = Datasette([str(path)], metadata=json.loads(json.dumps(metadata)))
        store = ExampleStore.for_settings(settings_for(ds))
        for actor in ACTORS:
            viewable = (await ds.client.get("/db.json", cookies=sign(ds, actor))).status_code == 200
            try:
                outcomes = await add_examples(ds, "db", PAIRS, actor=actor, store=store)
            except DatasetteLLMError as error:
                assert not viewable, (rule, actor, error)
                try:
                    await add_examples(ds, "nowhere", PAIRS, actor=actor, store=store)
                except DatasetteLLMError as missing:
                    assert (type(error), error.message) == (type(missing), missing.message.replace("nowhere", "db"))
                else:
                    raise AssertionError("a database that does not exist took examples")
            else:
                assert viewable, (rule, actor, [o.status for o in outcomes])
        examples_db = state / "examples.db"
        stored = 0
        if examples_db.exists():
            with sqlite3.connect(examples_db) as conn:
                stored = conn.execute("select count(*) from examples").fetchone()[0]
            conn.close()
        may = [
            a
            for a in ACTORS
            if rule is None
            or (rule and a and a.get("id") in ([rule["id"]] if isinstance(rule["id"], str) else rule["id"]))
        ]
        assert (stored > 0) == bool(may), (rule, stored)
