"""Every status the query API and search answer is documented for that operation in the published OpenAPI spec,
and every body validates against the spec's schema for its status.

docs/http-api.md: the spec at /-/llm/openapi.json describes the API assistants use; a client generated from it (an
assistant's tool definitions, an SDK) treats an undocumented status as a protocol error. The requests are real
refusals the server answers before any model runs: a body over the query API's cap (413), a multipart or text body
(415), a bad SQL (400), an unknown database (404). The oracle is the spec itself, read from the running instance,
with jsonschema (Draft 2020-12, the spec's own components). Found by mutation testing (an outside tester, session
53): with runQueryPost's 413 or 415 dropped from the spec, search's `limit` maximum raised, or a mode left out
of its enum, the suite passed.
"""

import pytest
from datasette.app import Datasette
from jsonschema import Draft202012Validator
from route_helpers import items_datasette


def check(spec: dict, path: str, method: str, response) -> None:
    documented = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in documented, (path, method, status, sorted(documented), response.text[:200])
    schema = documented[status]["content"]["application/json"]["schema"]
    errors = list(Draft202012Validator({**schema, "components": spec["components"]}).iter_errors(response.json()))
    assert not errors, (path, method, status, errors[0].message)


@pytest.mark.asyncio
async def test_query_and_search_answers_are_in_the_spec(tmp_path):
    items_datasette(tmp_path, rows=2)
    ds = Datasette([str(tmp_path / "db.db")])
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    posts = [
        ({"json": {"sql": "select * from items"}}, 200),
        ({"json": {"sql": "select * from nope"}}, 400),
        ({"json": {"database": "nope", "sql": "select 1"}}, 404),
        ({"content": b'{"sql": "' + b"x" * (200 * 1024) + b'"}', "headers": {"content-type": "application/json"}}, 413),
        ({"content": b"--x--\r\n", "headers": {"content-type": "multipart/form-data; boundary=x"}}, 415),
        ({"content": b"select 1", "headers": {"content-type": "text/plain"}}, 415),
    ]
    for kwargs, status in posts:
        response = await ds.client.post("/-/llm/query.json", **kwargs)
        assert response.status_code == status, (kwargs.get("json"), response.status_code, response.text[:200])
        check(spec, "/-/llm/query.json", "post", response)
    gets = [
        ("/-/llm/query.json", {"sql": "select 1"}, 200),
        ("/-/llm/query.json", {"sql": "delete from items"}, 400),
        ("/-/llm/query.json", {"database": "nope", "sql": "select 1"}, 404),
        ("/-/llm/schema.json", {"database": "db"}, 200),
        ("/-/llm/schema.json", {"database": "db", "table": "items"}, 200),
        ("/-/llm/schema.json", {"database": "nope"}, 404),
        ("/-/semantic-search", {"q": "item", "mode": "keyword"}, 200),
        ("/-/semantic-search", {"q": "item", "limit": "0"}, 400),
        ("/-/semantic-search", {"q": "item", "database": "nope"}, 404),
    ]
    for path, params, status in gets:
        response = await ds.client.get(path, params=params)
        assert response.status_code == status, (path, params, response.status_code, response.text[:200])
        check(spec, path, "get", response)


@pytest.mark.asyncio
async def test_search_parameter_bounds_in_the_spec_are_the_servers(tmp_path):
    """The spec's `limit` bounds and `mode` values for semanticSearch are what the server takes: the documented
    minimum and maximum answer 200, one past either is a 400, each documented mode answers 200. A client generated
    from the spec that sends a limit the spec allows must not get a 400."""
    items_datasette(tmp_path, rows=2)
    ds = Datasette([str(tmp_path / "db.db")])
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    parameters = {p["name"]: p["schema"] for p in spec["paths"]["/-/semantic-search"]["get"]["parameters"]}
    limit = parameters["limit"]
    for value, status in (
        (limit["minimum"], 200),
        (limit["maximum"], 200),
        (limit["minimum"] - 1, 400),
        (limit["maximum"] + 1, 400),
    ):
        response = await ds.client.get("/-/semantic-search", params={"q": "item", "mode": "keyword", "limit": value})
        assert response.status_code == status, (value, response.status_code, response.text[:200])
    for mode in parameters["mode"]["enum"]:
        response = await ds.client.get("/-/semantic-search", params={"q": "item", "mode": mode})
        assert response.status_code == 200, (mode, response.status_code, response.text[:200])
        assert response.json()["mode"] == mode
    # ... and every mode docs/http-api.md names (`mode=semantic|keyword|hybrid`) is in the spec's enum.
    assert set(parameters["mode"]["enum"]) == {"semantic", "keyword", "hybrid"}, parameters["mode"]
