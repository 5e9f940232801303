"""Whose examples a listing shows, for an author as Datasette tells actors apart (docs/examples.md): by id, or
without an id by the whole actor. An example naming a column dropped since is listed only to its author: an actor
without an id ({"role": "teacher"}) was not shown, and could not remove on the web, their own (an outside tester,
session 55). Anonymous visitors are no one in particular: none is shown another's as theirs. And a kept example
repeated right before the question is one example shown, in the notes that count them."""

import sqlite3

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in

from datasette_llm.ask.few_shot import Shot, Shots
from datasette_llm.compat import DATASETTE_1

QUESTION, SQL = "How old is each cat?", "select name, age from cats"


def _datasette(tmp_path, allow_teach):
    path = make_database(tmp_path / "db.db")
    plugin = {"warm_up": False, "allow_teach": allow_teach, "state_dir": str(tmp_path / "state")}
    blocks = {"plugins": {"datasette-llm": plugin}}
    return path, Datasette([str(path)], secret="s", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


async def _listed(ds, cookies):
    body = (await ds.client.get("/-/llm/db/examples.json", **cookies)).json()
    return [e["question"] for e in body["examples"] + body["set_aside"]], body["not_shown"]["examples"]


@pytest.mark.asyncio
@pytest.mark.parametrize("author", [{"role": "teacher"}, {"role": "teacher", "name": "Ann"}, {"id": "ann"}])
async def test_the_author_is_shown_their_example_after_a_column_it_reads_is_dropped(tmp_path, author):
    path, ds = _datasette(tmp_path, {"role": "teacher"} if "role" in author else {"id": "ann"})
    cookies = signed_in(ds, author)
    added = await ds.client.post("/-/llm/db/examples", json={"question": QUESTION, "sql": SQL}, **cookies)
    assert added.status_code == 201, added.text
    with sqlite3.connect(path) as conn:
        conn.execute("alter table cats drop column age")
    conn.close()
    assert await _listed(ds, cookies) == ([QUESTION], 0)
    other = {"role": "teacher", "name": "Bo"} if "role" in author else {"id": "bo", "role": "teacher"}
    if "role" in author:  # another teacher (another whole actor) is not its author
        assert await _listed(ds, signed_in(ds, other)) == ([], 1)


@pytest.mark.asyncio
async def test_an_anonymous_teacher_is_shown_no_example_as_its_own(tmp_path):
    path, ds = _datasette(tmp_path, True)
    assert (await ds.client.post("/-/llm/db/examples", json={"question": QUESTION, "sql": SQL})).status_code == 201
    with sqlite3.connect(path) as conn:
        conn.execute("alter table cats drop column age")
    conn.close()
    assert await _listed(ds, {}) == ([], 1)


def test_a_kept_example_repeated_before_the_question_is_one_example():
    one, two = (Shot(f"q{n}", f"select {n}", "example", n) for n in (1, 2))
    assert len(Shots(standing=(one,), chosen=(one,))) == 1 == len(Shots(standing=(one,), chosen=(one,)).to_json())
    assert len(Shots(standing=(one,), chosen=(two,))) == 2
    assert len(Shots(standing=(one, two), chosen=(two,))) == 2
    assert len(Shots(chosen=(two,))) == 1 and len(Shots()) == 0
