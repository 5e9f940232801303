"""Every JSON body of the teaching endpoints says what its status line says: docs/http-api.md, errors are `{"ok": false,
"error": ..., "status": N}`, so a 2xx body is `ok: true` (its `status`, where there is one, is an example's outcome)
and any other is `ok: false` with `status` equal to the status line. The oracle is the response's own status line,
over a generated family of requests by actors with and without llm-teach (listings with and without entries and
pages, adds, feedback, removes)."""

import random

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

TEACHER, ASKER = {"id": "teacher"}, {"id": "asker"}
METADATA = teaching_metadata(admin=False)


def agrees(response):
    body = response.json()
    if 200 <= response.status_code < 300:
        assert body.get("ok") is True, (response.request.url, response.status_code, body)
    else:
        assert body.get("ok") is False and body.get("status") == response.status_code, (response.request.url, body)


@pytest.mark.asyncio
async def test_each_teaching_body_says_its_status(tmp_path):
    ds = Datasette([str(make_database(tmp_path / "db.db"))], metadata=METADATA, secret="teaching-status")
    rng = random.Random(190)
    questions = [f"How many cats are older than {n}?" for n in range(6)]
    made = {"examples": [1], "feedback": [1]}  # ids the family removes: made by it, and one more
    for _ in range(40):
        actor = rng.choice([TEACHER, TEACHER, ASKER, None])
        auth = signed_in(ds, actor)
        action = rng.choice(["list", "list", "add", "feedback", "remove", "page"])
        if action == "list":
            response = await ds.client.get("/-/llm/db/examples.json", **auth)
        elif action == "page":
            response = await ds.client.get(f"/-/llm/db/examples.json?feedback_before={rng.randint(1, 9)}", **auth)
        elif action == "add":
            pair = {
                "question": rng.choice(questions),
                "sql": f"select count(*) from cats where age > {rng.randint(0, 5)}",
            }
            response = await ds.client.post("/-/llm/db/examples", json=pair, **auth)
            if response.status_code == 201:
                made["examples"].append(response.json()["example"]["id"])
        elif action == "feedback":
            body = {"question": rng.choice(questions), "sql": "select count(*) from cats", "verdict": "wrong"}
            response = await ds.client.post("/-/llm/db/feedback", json=body, **auth)
            if response.status_code == 201:
                made["feedback"].append(response.json()["feedback"]["id"])
        else:
            kind = rng.choice(["examples", "feedback"])
            number = rng.choice(made[kind]) + rng.choice([0, 0, 1])
            response = await ds.client.post(f"/-/llm/db/{kind}/{number}/remove", json={}, **auth)
        agrees(response)
    # The family held listings a teacher may read.
    agrees(await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER)))
