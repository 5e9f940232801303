"""docs/examples.md and SECURITY.md: the note that examples were set aside "reaches only teachers" (askers cannot
act on it). Here the set-aside example reads only tables everyone may see and every name its text mentions still
exists, so the examples page would show it to the asker if they could open it: the note still goes to the teacher
alone.

(Outside tester 55i: the `llm-teach` check in examples_stage.note_set_aside could be removed and no test noticed:
the existing test's asker could not see the set-aside example anyway, its column dropped.)"""

import sqlite3

import pytest
from ask_helpers import sql_reply, use_scripted_models
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import make_database, signed_in
from search_helpers import FakeEmbeddingModel

ASKER, TEACHER = {"id": "asker"}, {"id": "teacher"}


@pytest.mark.asyncio
@pytest.mark.parametrize("first", ["asker", "teacher"])
async def test_only_the_teacher_is_told_of_a_set_aside_example_both_could_see(tmp_path, monkeypatch, first):
    use_scripted_models(monkeypatch, FakeEmbeddingModel(), [sql_reply("select count(*) from cats")] * 2 + ["2"] * 2)
    path = make_database(tmp_path / "db.db")
    plugin = {
        "warm_up": False,
        "allow_ask": {"id": ["asker", "teacher"]},
        "allow_teach": {"id": "teacher"},
        "state_dir": str(tmp_path / "state"),
    }
    blocks = {"plugins": {"datasette-llm": plugin}}
    ds = Datasette([str(path)], secret="s", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    added = await ds.client.post(
        "/-/llm/db/examples",
        json={"question": "Ages of the cats", "sql": "select age from cats"},
        **signed_in(ds, TEACHER),
    )
    assert added.status_code == 201, added.text
    # `age` leaves cats but still exists (in another visible table): the example no longer validates
    with sqlite3.connect(path) as conn:
        conn.execute("alter table cats rename column age to years")
        conn.execute("create table ages (id integer primary key, age integer)")
    conn.close()

    async def notes(actor):
        r = await ds.client.post(
            "/db/-/ask.json", json={"question": "How many cats?", "mode": "sql"}, **signed_in(ds, actor)
        )
        assert r.status_code == 200, r.text
        return [n for n in r.json()["notes"] if "set aside" in n], r.json()["examples"]

    told = {}
    for who in [first] + [w for w in ("asker", "teacher") if w != first]:
        told[who] = await notes({"id": who})
    assert told["asker"][0] == [], told
    assert told["asker"][1] == [] and told["teacher"][1] == []  # the example is never used
    listing = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))
    assert [e["question"] for e in listing.json()["set_aside"]] == ["Ages of the cats"]
    if first == "teacher":  # the re-check ran for the teacher's question: they were told
        assert len(told["teacher"][0]) == 1 and told["teacher"][0][0].startswith("1 trusted example"), told
