""" "The same question and SQL twice from one author is stored once; from another author it is another example,
theirs, with their names ... A teacher adding the pair of an example they may not see so learns nothing of it, and
that example keeps what its own author saw" (docs/examples.md). "This is right" adds the example as the Add form
does; an outside tester's mutation run (session 56) found that letting it find any author's pair (as the command
line may) passed the suite: the teacher was then told "present" with the id, author and time of an admin's example
whose text names a table hidden from them.

Oracle: the answers of POST /feedback "right" and POST /examples for a pair an admin stored first, against the
answers for a pair nobody stored: the same (201 "added", the teacher's own example), and the admin's example is
still hidden from the teacher.
"""

import pytest
from datasette.app import Datasette
from examples_helpers import ADMIN, TEACHER, signed_in, teaching_metadata

ADMINS = {"question": "Which cats know the secret launch_code?", "sql": "select name from cats"}
NOBODYS = {"question": "Which cats know the password?", "sql": "select name from cats where id > 0"}


async def right(ds, actor, pair):
    return await ds.client.post("/-/llm/db/feedback", json={**pair, "verdict": "right"}, **signed_in(ds, actor))


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["feedback", "examples"])
async def test_a_teacher_adding_an_admins_pair_gets_their_own_example(db_path, state, path):
    ds = Datasette([db_path], metadata=teaching_metadata())
    admins = await ds.client.post("/-/llm/db/examples", json=ADMINS, **signed_in(ds, ADMIN))
    assert admins.status_code == 201, admins.text
    answers = []
    for pair in (ADMINS, NOBODYS):
        if path == "feedback":
            sent = await right(ds, TEACHER, pair)
        else:
            sent = await ds.client.post("/-/llm/db/examples", json=pair, **signed_in(ds, TEACHER))
        assert sent.status_code == 201, sent.text
        body = sent.json()
        assert body["status"] == "added" and body["example"]["added_by"] == "teacher", body
        assert body["example"]["id"] != admins.json()["example"]["id"]
        answers.append(body["example"])
    listed = (await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))).json()
    assert sorted(e["id"] for e in listed["examples"]) == sorted(e["id"] for e in answers)
    assert listed["not_shown"]["examples"] == 1  # the admin's, still hidden
