"""docs/examples.md: an example goes into an asker's prompt when the guard accepts its SQL against the tables the
asker may see and its text names nothing they may not see; names compare as SQLite compares them (ASCII case
aside). A table named `Owners`, read as `Owners`, `OWNERS` or `owners`, by an example whose asker may see it (and
may not see another table, so they do not "see all"): the example reaches the prompt and the result, and the
examples page lists it to a teacher who may see the same tables.

(Outside tester 55i: check.reads_text could keep the table names unfolded; then every example over a table whose
name has a capital was left out for everyone who does not see every table, and no test noticed.)"""

import sqlite3

import pytest
from ask_helpers import sql_reply, use_scripted_models
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import signed_in
from search_helpers import FakeEmbeddingModel

ASKER, TEACHER, ADMIN = {"id": "asker"}, {"id": "teacher"}, {"id": "admin"}


@pytest.mark.asyncio
@pytest.mark.parametrize("spelling", ["Owners", "OWNERS", "owners"])
async def test_an_example_over_a_capitalised_table_reaches_an_asker(tmp_path, monkeypatch, spelling):
    use_scripted_models(monkeypatch, FakeEmbeddingModel(), [sql_reply("select count(*) from Owners")] * 2 + ["2"] * 2)
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table Owners (id integer primary key, name text)")
        conn.execute("insert into Owners values (1, 'Ana'), (2, 'Ben')")
        conn.execute("create table secret (id integer primary key, code text)")
    conn.close()
    plugin = {
        "warm_up": False,
        "allow_ask": {"id": ["asker", "teacher", "admin"]},
        "allow_teach": {"id": ["teacher", "admin"]},
        "state_dir": str(tmp_path / "state"),
        "few_shot_kept_tokens": 1500,
    }
    blocks = {"plugins": {"datasette-llm": plugin}, "databases": {"db": {"tables": {"secret": {"allow": ADMIN}}}}}
    ds = Datasette([str(path)], secret="s", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    sql = f"select count(*) from {spelling}"
    added = await ds.client.post(
        "/-/llm/db/examples", json={"question": "How many owners are there?", "sql": sql}, **signed_in(ds, TEACHER)
    )
    assert added.status_code == 201, added.text
    for actor in (ASKER, TEACHER):
        r = await ds.client.post(
            "/db/-/ask.json", json={"question": "How many owners?", "mode": "sql"}, **signed_in(ds, actor)
        )
        assert r.status_code == 200, r.text
        assert [e["sql"] for e in r.json()["examples"]] == [sql], (actor, r.json()["examples"])
    other = {"id": "admin"}  # another teacher, who sees more: shown it too
    for who in (TEACHER, other):
        listing = (await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, who))).json()
        assert [e["sql"] for e in listing["examples"]] == [sql], listing
