"""What an Ask answer's body says about its outcome agrees with the HTTP status it came with, on the JSON API and in
the event stream's `result`: docs/http-api.md, "Errors are JSON ({"ok": false, "error": "...", "status": N}) with
the right status ... 422 when no valid SQL could be written". The oracle is the response's own status line (and,
for the stream, that its `result` is the JSON API's for the same replies), never the plugin's code: for a generated
family of model replies, some writing SQL that runs and some never writing any, a 200 body is `ok` and names no
error status or code, and every other body is `ok: false` with `status` equal to the status line."""

import json
import random
import re

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from examples_helpers import make_database

import datasette_llm.web.ask as web_ask

GOOD = [sql_reply("select count(*) from cats"), sql_reply("select name from cats order by age desc")]
BAD = [
    "I cannot answer that.",
    sql_reply("select * from no_such_table"),
    sql_reply("delete from cats"),
    "```sql\n\n```",
]


def reply_scripts():
    """Each: the model's replies in order (3 SQL attempts at most, then the answer's text)."""
    rng = random.Random(422)
    scripts = [[rng.choice(BAD) for _ in range(3)] + ["No answer."] for _ in range(4)]
    scripts += [[rng.choice(BAD) for _ in range(k)] + [rng.choice(GOOD), "There are 2 cats."] for k in range(3)]
    return scripts


def sse(text):
    return [
        (re.search(r"^event: (.*)$", b, re.M).group(1), json.loads(re.search(r"^data: (.*)$", b, re.M).group(1)))
        for b in text.strip().split("\n\n")
    ]


def agrees(status: int, body: dict):
    if status == 200:
        assert body["ok"] is True, body.get("error")
        assert body.get("status", 200) == 200 and not body.get("code"), (body.get("status"), body.get("code"))
    else:
        assert body["ok"] is False and body["status"] == status and body["code"] and body["error"], body


@pytest.mark.asyncio
@pytest.mark.parametrize("script", reply_scripts())
async def test_the_body_says_the_status_it_came_with(tmp_path, monkeypatch, script):
    path = make_database(tmp_path / "db.db")
    models = []

    def model_for(settings):
        models.append(ScriptedModel(list(script) * 2))
        return models[-1]

    monkeypatch.setattr(web_ask, "chat_model_for", model_for)
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    response = await ds.client.post("/db/-/ask.json", json={"question": "How many cats are there?"})
    assert response.status_code in (200, 422), response.text[:300]
    body = response.json()
    agrees(response.status_code, body)
    # The stream's `result` is the same answer: what it says of its outcome is what the JSON API's status said.
    streamed = await ds.client.post("/db/-/ask.stream", json={"question": "How many cats are there?"})
    assert streamed.status_code == 200
    name, result = sse(streamed.text)[-1]
    assert name == "result"
    agrees(response.status_code, result)
