""" "This is right" (POST /-/llm/{db}/feedback, verdict right) adds an example; its question's vector is made by
that request, as for every other way of adding one (examples/vectors.py vectors_on_adding), so what an asker's
later question sends the embedding model never depends on examples the asker may not see (session 42's
noninterference promise, here through the feedback surface).

Oracle: what the recording embedding model was sent during the asker's own request (the question alone), and the
store on disk (a vector for every example right after the request that added it)."""

import asyncio
import sqlite3

import pytest
from ask_helpers import RecordingEmbedder, sql_reply, use_scripted_models
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

from datasette_llm.config import settings_for
from datasette_llm.examples import ExampleStore

SECRET = "right-vectors-secret"
ADMIN, TEACHER, ASKER = {"id": "admin"}, {"id": "teacher"}, {"id": "asker"}
# (author, question, SQL) "This is right" pairs: over the hidden table (admin only) and over the visible one.
RIGHT = [
    (ADMIN, "How many launch codes are there?", "select count(*) from secret"),
    (ADMIN, "Which launch code is first?", "select launch_code from secret order by id limit 1"),
    (TEACHER, "How many cats are there?", "select count(*) from cats"),
    (ADMIN, "Launch codes longer than four letters?", "select launch_code from secret where length(launch_code) > 4"),
    (TEACHER, "Oldest cat?", "select name from cats order by age desc limit 1"),
]


@pytest.mark.parametrize("count", range(1, len(RIGHT) + 1))
@pytest.mark.asyncio
async def test_this_is_right_makes_the_vector_and_an_askers_question_embeds_only_itself(tmp_path, monkeypatch, count):
    embedder = RecordingEmbedder()
    use_scripted_models(monkeypatch, embedder, [sql_reply("select count(*) from cats"), "Two."])
    path = make_database(tmp_path / "db.db")
    ds = Datasette([str(path)], metadata=teaching_metadata(), secret=SECRET)
    store = ExampleStore.for_settings(settings_for(ds))
    for actor, question, sql in RIGHT[:count]:
        response = await ds.client.post(
            "/-/llm/db/feedback", json={"question": question, "sql": sql, "verdict": "right"}, **signed_in(ds, actor)
        )
        assert response.status_code == 201 and response.json()["status"] == "added", response.text
        example_id = response.json()["example"]["id"]
        # The request that added it made its vector (the store on disk says so).
        assert example_id in store.vectors("db", "recording"), (question, store.vectors("db", "recording").keys())
    await asyncio.sleep(0)
    # Every question the embedding model was sent so far is one of the examples' own, each once.
    assert sorted(embedder.texts) == sorted(question for _, question, _ in RIGHT[:count])
    embedder.texts.clear()
    asked = "How many cats are there in total?"
    response = await ds.client.post("/db/-/ask.json", json={"question": asked, "mode": "sql"}, **signed_in(ds, ASKER))
    assert response.status_code == 200, response.text
    # The asker's request sent the embedding model their question and nothing else (no hidden example's question).
    assert set(embedder.texts) <= {asked}, embedder.texts
    # And no example it lists reads a table the asker may not view (Datasette's own answer for the asker).
    tables = {
        t["name"]
        for t in (await ds.client.get("/db.json", **signed_in(ds, ASKER))).json()["tables"]
        if not t.get("private")
    }
    for example in response.json().get("examples", []):
        used = {row[0] for row in sqlite3.connect(path).execute("select name from sqlite_master where type='table'")}
        named = {name for name in used if name in example["sql"]}
        assert named <= tables, (example, tables)
