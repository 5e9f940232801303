"""docs/examples.md: "`few_shot_examples` ... 0 turns all examples off", and "Without any examples nothing is
loaded". With examples off, a question after a schema change neither re-checks the stored examples (the store's
file is left byte for byte as it was) nor tells a teacher that some were set aside.

(Outside tester 55i: the `few_shot_examples <= 0` check of examples_stage.choose_examples could be made `< 0`:
every question then read the store, re-checked its examples after a schema change and noted the set-aside ones,
examples off, and no test noticed.)"""

import hashlib
import sqlite3

import pytest
from ask_helpers import sql_reply, use_scripted_models
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import make_database, signed_in
from search_helpers import FakeEmbeddingModel

TEACHER = {"id": "teacher"}


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.asyncio
async def test_examples_off_read_no_store_and_tell_nothing(tmp_path, monkeypatch):
    use_scripted_models(monkeypatch, FakeEmbeddingModel(), [sql_reply("select count(*) from cats")] * 2 + ["2"] * 2)
    path = make_database(tmp_path / "db.db")
    state = tmp_path / "state"

    def server(examples):
        plugin = {"warm_up": False, "allow_teach": {"id": "teacher"}, "state_dir": str(state)}
        plugin["few_shot_examples"] = examples
        blocks = {"plugins": {"datasette-llm": plugin}}
        return Datasette([str(path)], secret="s", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))

    ds = server(3)
    added = await ds.client.post(
        "/-/llm/db/examples",
        json={"question": "Ages of the cats", "sql": "select age from cats"},
        **signed_in(ds, TEACHER),
    )
    assert added.status_code == 201, added.text
    with sqlite3.connect(path) as conn:
        conn.execute("alter table cats rename column age to years")
    conn.close()
    ds = server(0)
    before = digest(state)
    r = await ds.client.post(
        "/db/-/ask.json", json={"question": "How many cats?", "mode": "sql"}, **signed_in(ds, TEACHER)
    )
    assert r.status_code == 200, r.text
    assert r.json()["examples"] == []
    assert [n for n in r.json()["notes"] if "set aside" in n or "trusted example" in n] == [], r.json()["notes"]
    assert digest(state) == before
