"""What the published OpenAPI spec says a field may hold, or a request must carry, is what the server does.

The oracle is the spec itself, read from the running instance, against the server's own answers, with every object
closed (spec_helpers.strict): each response below must validate, and each of them carries the null the spec allows
(a test whose responses never hold a null could not tell a nullable field from one that is not):

- schema API: a column declared without a type (`type` null); a foreign key to a table's implicit key is named
  by that key (`other_column` is never null: a key to a table with no one-column primary key is left out, as
  `sql/execute.foreign_keys_of` says, and the spec said nullable until this test);
- search: a hit found by keywords only (`semantic_score` null) and a hit of a collection that matches no table,
  so no row page exists (`url` null);
- requests: a QueryRequest without a required field is refused and one without an optional field is answered;
  AskRequest's `mode` enum is the list the server's own refusal of another mode names.

Found by mutation testing (an outside tester, session 53): with any of those fields made non-nullable, `sql` made
optional or `both` left out of the mode enum, the suite passed.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
import sqlite_utils
from datasette.app import Datasette
from jsonschema import Draft202012Validator
from route_helpers import items_datasette
from search_helpers import actor_cookies, make_table, use_fake_model
from spec_helpers import strict

from datasette_llm.embeddings import embed_table


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def validate(spec: dict, path: str, method: str, response) -> dict:
    schema = spec["paths"][path][method]["responses"][str(response.status_code)]["content"]["application/json"]
    closed = strict(schema["schema"], spec["components"]["schemas"])
    body = response.json()
    errors = list(Draft202012Validator(closed).iter_errors(body))
    assert not errors, (path, response.status_code, [e.message for e in errors][:3])
    return body


@pytest.mark.asyncio
async def test_schema_answers_with_an_untyped_column_and_keys_to_implicit_keys_fit_the_spec(tmp_path):
    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table parents (id integer primary key, anything);"  # `anything`: no declared type
        "create table children (id integer primary key, parent references parents);"  # to its implicit key
        "create table tags (name text);"  # a rowid table: no one-column primary key
        "create table labels (id integer primary key, tag references tags);"
    )
    conn.close()
    ds = Datasette([str(path)])
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    whole = validate(spec, "/-/llm/schema.json", "get", await ds.client.get("/-/llm/schema.json"))
    tables = {t["name"]: t for t in whole["databases"][0]["tables"]}
    assert {c["name"]: c.get("type", "absent") for c in tables["parents"]["columns"]}["anything"] is None
    assert tables["children"]["foreign_keys"] == [{"column": "parent", "other_table": "parents", "other_column": "id"}]
    assert tables["labels"].get("foreign_keys", []) == []
    one = await ds.client.get("/-/llm/schema.json", params={"table": "parents"})
    assert {c["name"]: c["type"] for c in validate(spec, "/-/llm/schema.json", "get", one)["columns"]} == {
        "id": "INTEGER",
        "anything": None,
    }


@pytest.mark.asyncio
async def test_search_hits_found_by_keywords_only_or_of_no_table_fit_the_spec(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "text": f"ordinary walrus words number {i}"} for i in range(5)])
    make_table(path, "notes", [{"id": 1, "text": "a walrus memo"}])
    sqlite_utils.Database(path)["docs"].enable_fts(["text"])  # keyword search has an index to read
    embed_table(str(path), "docs", model=fake_model)
    embed_table(str(path), "notes", model=fake_model, collection="memo", store=True)  # a collection of no table
    ds = Datasette([str(path)], metadata={"databases": {"data": {"allow_sql": {"id": "admin"}}}})
    cookies = actor_cookies(ds, {"id": "admin"})  # may view the storage that holds the memo's text
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    hits = []
    for mode in ("keyword", "hybrid", "semantic"):
        response = await ds.client.get("/-/semantic-search", params={"q": "walrus", "mode": mode}, cookies=cookies)
        assert response.status_code == 200, (mode, response.text[:200])
        hits += validate(spec, "/-/semantic-search", "get", response)["hits"]
    assert any(hit["semantic_score"] is None for hit in hits), hits
    assert any(hit["url"] is None for hit in hits), hits
    assert any(isinstance(hit["url"], str) and isinstance(hit["semantic_score"], float) for hit in hits)


@pytest.mark.asyncio
async def test_a_query_request_is_refused_exactly_without_a_field_the_spec_requires(tmp_path):
    ds = items_datasette(tmp_path)
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    request = spec["components"]["schemas"]["QueryRequest"]
    full = {"database": "db", "sql": "select title from items"}
    assert set(full) == set(request["properties"])
    for field in full:
        body = {k: v for k, v in full.items() if k != field}
        response = await ds.client.post("/-/llm/query.json", json=body)
        refused = 400 <= response.status_code < 500
        assert refused == (field in request.get("required", [])), (field, response.status_code, response.text[:200])


@pytest.mark.asyncio
async def test_the_ask_modes_in_the_spec_are_the_ones_the_server_takes(tmp_path):
    ds = items_datasette(tmp_path)
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    documented = spec["components"]["schemas"]["AskRequest"]["properties"]["mode"]["enum"]
    response = await ds.client.post(
        "/db/-/ask.json",
        content=json.dumps({"question": "How many items?", "mode": "nope"}).encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text[:200]
    taken = re.search(r"mode must be one of ([a-z, ]+);", response.json()["error"])
    assert taken, response.text[:300]
    assert documented == taken.group(1).split(", ")
