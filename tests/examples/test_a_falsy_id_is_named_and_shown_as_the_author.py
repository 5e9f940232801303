"""docs/examples.md: authors are told apart "by id, `5` and `"5"` being two" (an id of 0 or "" is an id), the
listing says who added each example (`added_by`), and "an example whose SQL or text names a table or column
dropped since is listed only to its author". An actor whose id is 0 or "" is that author: named in `added_by`,
and still shown their example once its column is dropped, which another teacher is not.

(Outside tester 55i: visibility.actor_id could test the id for truth instead of for None: `added_by` became null
and such an author lost their own example from the listing, and no test noticed; session 53's test covers
actor_key, not actor_id.)"""

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import alter, signed_in

PAIR = {"question": "How old is each cat?", "sql": "select name, age from cats"}


@pytest.mark.asyncio
@pytest.mark.parametrize("actor_id", [0, ""])
async def test_an_author_with_a_falsy_id_is_named_and_keeps_their_example(db_path, state, actor_id):
    blocks = {"plugins": {"datasette-llm": {"warm_up": False, "allow_ask": True, "allow_teach": True}}}
    ds = Datasette([db_path], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    author = signed_in(ds, {"id": actor_id})
    added = await ds.client.post("/-/llm/db/examples", json=PAIR, **author)
    assert added.status_code == 201, added.text
    assert added.json()["example"]["added_by"] == str(actor_id)
    alter(db_path, "alter table cats drop column age")

    async def listed(who):
        r = await ds.client.get("/-/llm/db/examples.json", **who)
        assert r.status_code == 200, r.text
        body = r.json()
        return [e["question"] for e in body["examples"] + body["set_aside"]], body["not_shown"]["examples"]

    assert await listed(author) == ([PAIR["question"]], 0)
    assert await listed(signed_in(ds, {"id": "someone else"})) == ([], 1)
