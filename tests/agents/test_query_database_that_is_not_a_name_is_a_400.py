"""`database` in a JSON body to `/-/llm/query.json` that is not a string (a number, a list, an object, true) is bad
input: a 400 that says so, never a 404 about a database of that "name" and never a 500; the same body with the
database's real name runs.

A generated family of JSON values of every non-string type; the oracle is the documented statuses (docs/http-api.md:
400 bad input, 404 unknown database or table) and Datasette's own list of databases (`/-/databases.json`).
"""

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for

NOT_NAMES = [5, -1, 1.5, True, ["db"], [1, 2], {"db": 1}, {"name": "db"}, [[]], [{}]]


@pytest.fixture
def ds(tmp_path):
    return datasette_for(build_db(tmp_path / "db.db", big=False), HIDE_SECRET)


@pytest.mark.asyncio
@pytest.mark.parametrize("value", NOT_NAMES, ids=repr)
async def test_a_database_that_is_not_a_string(ds, value):
    listed = (await ds.client.get("/-/databases.json")).json()
    if isinstance(listed, dict):  # Datasette 1.0 wraps the list
        listed = listed.get("databases", list(listed.values()))
    names = [d["name"] if isinstance(d, dict) else d for d in listed]
    assert "db" in names
    ok = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": "select count(*) from users"})
    assert ok.status_code == 200, ok.text
    response = await ds.client.post("/-/llm/query.json", json={"database": value, "sql": "select count(*) from users"})
    assert response.status_code == 400, (value, response.status_code, response.text)
    data = response.json()
    assert data["ok"] is False and data["status"] == 400
