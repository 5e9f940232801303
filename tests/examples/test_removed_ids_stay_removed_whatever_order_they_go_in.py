"""Ids are never given twice within a store, so a Remove clicked on a page opened before someone else removed that
entry removes nothing and says so (docs/examples.md). The store keeps the highest id removed (id_high_water); an
outside tester's mutation run (session 53) found that letting a later, lower removal lower that mark passed the
suite: remove #5 then #3, and the next example got #5 again, which a stale Remove of the old #5 then removed.

Oracle: the documented answers of the JSON endpoints (201 with the new id, 404 for an id removed before), through
a real Datasette and store, for generated orders of removal.
"""

import random

import pytest
from datasette.app import Datasette
from examples_helpers import TEACHER, signed_in, teaching_metadata


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_no_id_is_given_again_whatever_order_examples_are_removed_in(db_path, state, seed):
    rng = random.Random(seed)
    ds = Datasette([db_path], metadata=teaching_metadata())
    auth = signed_in(ds, TEACHER)
    given, removed = [], []
    for step in range(14):
        if given and (rng.random() < 0.5 or step > 9):
            victim = rng.choice(given) if rng.random() < 0.5 else max(given)
            response = await ds.client.post(f"/-/llm/db/examples/{victim}/remove", json={}, **auth)
            assert response.status_code == 200, response.text
            given.remove(victim)
            removed.append(victim)
        else:
            pair = {
                "question": f"How many cats are older than {step}?",
                "sql": f"select count(*) from cats where age > {step}",
            }
            response = await ds.client.post("/-/llm/db/examples", json=pair, **auth)
            assert response.status_code == 201, response.text
            new_id = response.json()["example"]["id"]
            assert new_id not in removed and new_id > max(given + removed, default=0)
            given.append(new_id)
        for old in removed:  # a stale Remove of any removed id removes nothing
            stale = await ds.client.post(f"/-/llm/db/examples/{old}/remove", json={}, **auth)
            assert stale.status_code == 404, stale.text
    listing = await ds.client.get("/-/llm/db/examples.json", **auth)
    assert sorted(e["id"] for e in listing.json()["examples"]) == sorted(given)


@pytest.mark.asyncio
async def test_removing_the_newest_then_an_older_one_leaves_the_newest_id_spent(db_path, state):
    ds = Datasette([db_path], metadata=teaching_metadata())
    auth = signed_in(ds, TEACHER)
    for n in range(5):
        pair = {"question": f"Cats older than {n}?", "sql": f"select count(*) from cats where age > {n}"}
        assert (await ds.client.post("/-/llm/db/examples", json=pair, **auth)).status_code == 201
    assert (await ds.client.post("/-/llm/db/examples/5/remove", json={}, **auth)).status_code == 200
    assert (await ds.client.post("/-/llm/db/examples/3/remove", json={}, **auth)).status_code == 200
    added = await ds.client.post(
        "/-/llm/db/examples", json={"question": "Names?", "sql": "select name from cats"}, **auth
    )
    assert added.json()["example"]["id"] == 6, added.text
    stale = await ds.client.post("/-/llm/db/examples/5/remove", json={}, **auth)
    assert stale.status_code == 404
