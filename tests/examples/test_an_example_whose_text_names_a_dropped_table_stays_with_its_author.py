""" "An example whose SQL or text names a table or column dropped since is listed only to its author, and counted in
`not_shown` for the others: whether they could see what was dropped is not known any more" (docs/examples.md).
Once the only hidden table is dropped, every teacher may see every table that is left (an outside tester, session
17, read an admin's examples of the dropped table so). An outside tester's mutation run (session 56) found that the
suite checked this for the tables an example's SQL reads, not for the names its text mentions: with only the SQL's
tables counted as mentioned, an admin's example whose question names the dropped hidden table was listed to the
teacher.

Oracle: the teacher's and the admin's listings (and Remove) before and after `secret` is dropped.
"""

import pytest
from datasette.app import Datasette
from examples_helpers import ADMIN, TEACHER, alter, signed_in, teaching_metadata

NAMING = {"question": "Which cats know the secret launch_code?", "sql": "select name from cats"}


async def shown(ds, actor):
    listed = (await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, actor))).json()
    return [e["question"] for e in listed["examples"] + listed["set_aside"]], listed["not_shown"]["examples"]


@pytest.mark.asyncio
async def test_an_admins_example_naming_a_dropped_hidden_table_is_listed_to_the_admin_alone(db_path, state):
    ds = Datasette([db_path], metadata=teaching_metadata())
    added = await ds.client.post("/-/llm/db/examples", json=NAMING, **signed_in(ds, ADMIN))
    assert added.status_code == 201, added.text
    assert await shown(ds, TEACHER) == ([], 1)
    alter(db_path, "drop table secret")
    ds = Datasette([db_path], metadata=teaching_metadata())
    assert await shown(ds, TEACHER) == ([], 1)
    assert await shown(ds, ADMIN) == ([NAMING["question"]], 0)  # its author
    example_id = added.json()["example"]["id"]
    removed = await ds.client.post(f"/-/llm/db/examples/{example_id}/remove", json={}, **signed_in(ds, TEACHER))
    assert removed.status_code == 404, removed.text
