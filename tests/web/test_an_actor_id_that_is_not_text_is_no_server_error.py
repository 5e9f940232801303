"""An actor whose id is not text UTF-8 can carry (a lone surrogate, which an authentication plugin or an API token
made from an argument that was not UTF-8 can hold) gets a clear answer when it adds a trusted example or sends
feedback, never a 500: the stores write the actor's id into SQLite, which raised UnicodeEncodeError (an outside
tester's actors of odd shapes, session 60; Datasette's own JSON pages answer such an actor 200). A 400 or 403 that
says so, or the entry stored with the id escaped, are both fine; a 5xx is not (SECURITY.md, Web: strings that are
not text are a 400).
"""

import json
import types

import pytest
from datasette import hookimpl
from datasette.plugins import pm
from route_helpers import items_datasette


@pytest.fixture
def actors_by_header():
    module = types.ModuleType("datasette_llm_test_odd_actors")

    @hookimpl
    def actor_from_request(datasette, request):
        value = request.headers.get("x-test-actor")
        return json.loads(value) if value else None

    module.actor_from_request = actor_from_request
    pm.register(module, name="datasette_llm_test_odd_actors")
    yield
    pm.unregister(name="datasette_llm_test_odd_actors")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path, body",
    [
        ("/-/llm/db/examples", {"question": "How many items?", "sql": "select count(*) from items"}),
        ("/-/llm/db/feedback", {"verdict": "wrong", "question": "How many items?", "comment": "c"}),
    ],
)
async def test_a_surrogate_actor_id_is_no_500(tmp_path, actors_by_header, path, body):
    ds = items_datasette(tmp_path, rows=1)  # teaching and asking allowed to everyone
    headers = {"x-test-actor": '{"id": "\\ud800"}'}
    assert (await ds.client.get("/db/items.json", headers=headers)).status_code == 200  # Datasette's own answer
    plain = await ds.client.post(path, json=body, headers={"x-test-actor": '{"id": "alice"}'})
    if plain.status_code == 503 and plain.json().get("code") == "guard_busy":
        pytest.skip("the guard's worker could not check the example on this machine")
    assert plain.status_code in (200, 201), plain.text[:300]
    response = await ds.client.post(path, json={**body, "question": "How many items are there?"}, headers=headers)
    assert response.status_code < 500, (response.status_code, response.text[:300])
