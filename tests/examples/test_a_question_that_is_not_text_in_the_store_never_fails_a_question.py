"""One example whose question is a BLOB (examples.db edited by another tool) made every question of the database a
500 "internal_error": the ranking of examples read it as text (ask/few_shot.py content_words, a TypeError on bytes),
where docs/examples.md says a question never fails because of the store (an outside tester, session 58)."""

import json
import sqlite3

import pytest
from ask_helpers import RecordingEmbedder, sql_reply, use_scripted_models
from datasette.app import Datasette
from examples_helpers import make_database


@pytest.mark.asyncio
async def test_a_blob_question_in_the_store_leaves_questions_answered(tmp_path, monkeypatch):
    db = make_database(tmp_path / "db.db")
    metadata = {
        "plugins": {
            "datasette-llm": {
                "warm_up": False,
                "allow_ask": True,
                "allow_teach": True,
                "state_dir": str(tmp_path / "state"),
            }
        }
    }
    use_scripted_models(
        monkeypatch, RecordingEmbedder(), [sql_reply("select count(*) from cats"), "There are 2 cats."] * 3
    )
    ds = Datasette([str(db)], metadata=metadata)
    for n in (1, 2, 3):
        response = await ds.client.post(
            "/-/llm/db/examples",
            content=json.dumps({"question": f"q {n}", "sql": "select count(*) from cats"}),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 201, response.text
    with sqlite3.connect(tmp_path / "state" / "examples.db") as conn:
        conn.execute("update examples set question = x'fffe00' where id = 2")
    conn.close()
    ds = Datasette([str(db)], metadata=metadata)  # a restart: an edit by another tool is read then
    response = await ds.client.post(
        "/db/-/ask.json",
        content=json.dumps({"question": "how many cats"}),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
