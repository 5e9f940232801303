"""A model whose every reply is a SELECT nested hundreds of levels deep ends the question with an error result
saying no query could be written, in process and over the JSON API (a 4xx or a 200 with `error`, never a 5xx or a
traceback): the reply is untrusted text (SECURITY.md), and sqlglot's parser raises RecursionError a few hundred
levels down. tests/sql/test_deeply_nested_replies_are_handed_on_without_a_crash.py checks the reading of such a
reply; this checks what Ask shows for it (an outside tester's gap R31, session 53).
"""

from __future__ import annotations

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.web import ask as web_ask


def nested(kind: str, depth: int) -> str:
    if kind == "parens":
        return "select " + "(" * depth + "1" + ")" * depth
    return "select " + "not " * depth + "1"


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.execute("create table items (id integer primary key, name text)")
    conn.execute("insert into items values (1, 'one')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["parens", "not"])
async def test_deeply_nested_replies_end_the_question_with_an_error_result(db_path, kind):
    reply = sql_reply(nested(kind, 1_500))
    model = ScriptedModel([reply] * 6)
    result = await ask(Datasette([str(db_path)]), "db", "How many items are there?", model=model, sql_only=True)
    assert result.sql is None and result.rows == ()
    assert result.error and result.error.startswith("Could not write a valid query"), result.error
    assert "Traceback" not in result.error and "RecursionError" not in result.error


@pytest.mark.asyncio
async def test_over_the_json_api_a_deeply_nested_reply_is_no_server_error(db_path, monkeypatch):
    model = ScriptedModel([sql_reply(nested("parens", 1_500))] * 6)
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: model)
    ds = Datasette([str(db_path)])
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many items are there?", "mode": "sql"})
    assert response.status_code < 500, response.text[:300]
    body = response.json()
    assert body.get("error") and "Traceback" not in response.text, body
    assert body.get("rows", []) == []
