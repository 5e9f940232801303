"""SECURITY.md: "the note that examples were set aside reaches only teachers and counts only those they may see".
A teacher who may see none of the examples a schema change set aside (an admin's, over a table hidden from the
teacher) is told nothing at all: not "0 trusted examples ...", which would say that hidden examples exist and that
a hidden table changed. The admin who may see them is told.

(Outside tester 55i: `if count:` in examples_stage.note_set_aside could be made always true, telling the teacher
"0 trusted examples no longer fit", and no test noticed; a pairwise differential of two servers, one without the
admin's examples, saw it.)"""

import sqlite3

import pytest
from ask_helpers import sql_reply, use_scripted_models
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import make_database, signed_in
from search_helpers import FakeEmbeddingModel

TEACHER, ADMIN = {"id": "teacher"}, {"id": "admin"}


@pytest.mark.asyncio
@pytest.mark.parametrize("who", ["teacher", "admin"])
async def test_only_examples_the_teacher_may_see_are_counted_and_none_means_no_note(tmp_path, monkeypatch, who):
    use_scripted_models(monkeypatch, FakeEmbeddingModel(), [sql_reply("select count(*) from cats")] * 2 + ["2"] * 2)
    path = make_database(tmp_path / "db.db")  # cats, secret (id, launch_code)
    with sqlite3.connect(path) as conn:
        conn.execute("alter table secret add column pin text")
    conn.close()
    plugin = {
        "warm_up": False,
        "allow_ask": {"id": ["teacher", "admin"]},
        "allow_teach": {"id": ["teacher", "admin"]},
        "state_dir": str(tmp_path / "state"),
    }
    blocks = {"plugins": {"datasette-llm": plugin}, "databases": {"db": {"tables": {"secret": {"allow": ADMIN}}}}}
    ds = Datasette([str(path)], secret="s", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    for actor, question, sql in [
        (TEACHER, "How many cats are there?", "select count(*) from cats"),
        (ADMIN, "What are the pins?", "select pin from secret"),
    ]:
        added = await ds.client.post(
            "/-/llm/db/examples", json={"question": question, "sql": sql}, **signed_in(ds, actor)
        )
        assert added.status_code == 201, added.text
    with sqlite3.connect(path) as conn:
        conn.execute("alter table secret rename column pin to pin_code")
    conn.close()
    r = await ds.client.post(
        "/db/-/ask.json", json={"question": "How many cats?", "mode": "sql"}, **signed_in(ds, {"id": who})
    )
    assert r.status_code == 200, r.text
    notes = [note for note in r.json()["notes"] if "set aside" in note]
    if who == "teacher":
        assert notes == [], notes
    else:
        assert len(notes) == 1 and notes[0].startswith("1 trusted example "), notes
