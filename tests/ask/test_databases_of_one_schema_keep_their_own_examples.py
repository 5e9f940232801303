"""docs/examples.md: examples are kept "keyed by the database's name", and a server keeps what a question read of
the store for the next questions until someone writes to it. Two databases of the same schema on one server (and
one store), each with its own examples, asked in turn without any write between: each question is shown its own
database's examples only, never the other's (which its asker may not be allowed to see at all).

(Outside tester 55i: the database could be left out of few_shot_pool's cache key; then the second database's
questions were shown the first's examples, and no test noticed.)"""

import shutil

import pytest
from ask_helpers import sql_reply, use_scripted_models
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import make_database, signed_in
from search_helpers import FakeEmbeddingModel

TEACHER = {"id": "teacher"}


@pytest.mark.asyncio
@pytest.mark.parametrize("first", ["db", "twin"])
async def test_each_database_is_shown_only_its_own_examples(tmp_path, monkeypatch, first):
    use_scripted_models(monkeypatch, FakeEmbeddingModel(), [sql_reply("select count(*) from cats")] * 2 + ["2"] * 2)
    path = make_database(tmp_path / "db.db")
    twin = tmp_path / "twin.db"
    shutil.copy(path, twin)  # the same schema, so the same schema hash
    plugin = {
        "warm_up": False,
        "allow_teach": {"id": "teacher"},
        "state_dir": str(tmp_path / "state"),
        "few_shot_kept_tokens": 1500,
    }
    blocks = {"plugins": {"datasette-llm": plugin}}
    ds = Datasette([str(path), str(twin)], secret="s", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    own = {
        "db": ("How many cats are there in db?", "select count(*) as in_db from cats"),
        "twin": ("How many cats are there in twin?", "select count(*) as in_twin from cats"),
    }
    for database, (question, sql) in own.items():
        added = await ds.client.post(
            f"/-/llm/{database}/examples", json={"question": question, "sql": sql}, **signed_in(ds, TEACHER)
        )
        assert added.status_code == 201, added.text
    order = [first] + [d for d in own if d != first]
    for database in order + order:
        r = await ds.client.post(
            f"/{database}/-/ask.json",
            json={"question": "How many cats are there?", "mode": "sql"},
            **signed_in(ds, TEACHER),
        )
        assert r.status_code == 200, r.text
        assert [e["sql"] for e in r.json()["examples"]] == [own[database][1]], (database, r.json()["examples"])
