"""An example is its author's, and authors are told apart as Datasette tells actors apart: by id, or, for an actor
without an id, by the whole actor (docs/examples.md). An id of 0 or "" is an id: the same person whose role or name
changed is the same author, who adding their pair again finds it, not a second copy. Found by an outside tester's
mutation run (session 53): testing the id for truth, not for None, passed the suite, and an actor {"id": 0} whose
role changed stored every pair of theirs twice (and no more found their own examples as theirs).

Oracle: the documented answers of POST /-/llm/{db}/examples (201 added, 200 present with the same id), through a
real Datasette and store.
"""

import pytest
from datasette.app import Datasette
from examples_helpers import signed_in

PAIR = {"question": "How many cats are there?", "sql": "select count(*) from cats"}
METADATA = {"plugins": {"datasette-llm": {"warm_up": False, "allow_ask": True, "allow_teach": True}}}


@pytest.mark.asyncio
@pytest.mark.parametrize("actor_id", [0, ""])
async def test_the_same_falsy_id_with_another_role_finds_its_own_example(db_path, state, actor_id):
    ds = Datasette([db_path], metadata=METADATA)
    first = await ds.client.post("/-/llm/db/examples", json=PAIR, **signed_in(ds, {"id": actor_id, "role": "a"}))
    assert first.status_code == 201, first.text
    again = await ds.client.post("/-/llm/db/examples", json=PAIR, **signed_in(ds, {"id": actor_id, "role": "b"}))
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "present"
    assert again.json()["example"]["id"] == first.json()["example"]["id"]
