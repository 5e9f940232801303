"""The served OpenAPI spec says what the server does, over real HTTP, with the OpenAPI 3.1 rules as the oracle:

- Example Object / Media Type Object: an example's value SHOULD be compatible with the media type's schema: every
  example the spec shows (request bodies and responses, `example` and `examples`) validates against its schema;
- Parameter Object `required`: a request without a required parameter is refused (4xx), a request without an
  optional one is answered as usual: each query parameter of getSchema and runQuery is left out in turn from a
  request that works (one database, so `database` may be omitted, as its description says).
"""

from __future__ import annotations

import httpx
import jsonschema
import pytest
from agents_helpers import build_db, datasette_for
from server_helpers import serve_in_thread

FULL = {
    "getSchema": ("/-/llm/schema.json", {"database": "db", "table": "users"}),
    "runQuery": ("/-/llm/query.json", {"database": "db", "sql": "select name from users"}),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    ds = datasette_for(build_db(tmp_path_factory.mktemp("openapi") / "db.db", big=False))
    with serve_in_thread(ds.app()) as url, httpx.Client(timeout=30) as client:
        spec = client.get(url + "/-/llm/openapi.json").json()
        yield url, client, spec


def media_types(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {})
            for kind, media in body.items():
                yield (path, method, "request", kind), media
            for status, response in operation.get("responses", {}).items():
                for kind, media in response.get("content", {}).items():
                    yield (path, method, status, kind), media


def test_every_example_fits_its_schema(served):
    _, _, spec = served
    checked = 0
    for where, media in media_types(spec):
        schema = {**media["schema"], "components": spec["components"]}
        values = [("example", media["example"])] if "example" in media else []
        values += [(name, example["value"]) for name, example in media.get("examples", {}).items()]
        for name, value in values:
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(value))
            assert not errors, (where, name, value, [e.message for e in errors][:3])
            checked += 1
    assert checked >= 5  # the spec does show examples (docs/http-api.md: "with examples")


@pytest.mark.parametrize("operation_id", sorted(FULL))
def test_leaving_out_a_parameter_fails_exactly_when_it_is_required(served, operation_id):
    base, client, spec = served
    path, params = FULL[operation_id]
    operation = next(op for item in spec["paths"].values() for op in item.values() if op["operationId"] == operation_id)
    declared = {p["name"]: p.get("required", False) for p in operation["parameters"] if p["in"] == "query"}
    assert set(params) <= set(declared)
    assert client.get(base + path, params=params).status_code == 200
    for name in params:
        response = client.get(base + path, params={k: v for k, v in params.items() if k != name})
        if declared[name]:
            assert 400 <= response.status_code < 500, (operation_id, name, response.status_code)
        else:
            assert response.status_code == 200, (operation_id, name, response.status_code, response.text[:200])


def test_the_query_examples_look_like_real_answers(served):
    """The runQuery examples show a capped answer and a rejected query: a real capped answer and a real rejection
    (the server is the oracle) have the same fields, the same flags, and rows as wide as their columns."""
    base, client, spec = served
    operation = spec["paths"]["/-/llm/query.json"]["get"]
    capped = next(iter(operation["responses"]["200"]["content"]["application/json"]["examples"].values()))["value"]
    rows_sql = (
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) select i, 'x' as y from n"
    )
    real = client.get(base + "/-/llm/query.json", params={"database": "db", "sql": rows_sql}).json()
    assert real["truncated"] is True and real["more_rows"] is True  # the situation the example shows
    assert set(capped) <= set(real) | {"clipped"}, set(capped) - set(real)
    for flag in ("ok", "truncated", "more_rows"):
        assert capped[flag] == real[flag], flag
    assert capped["columns"] and all(len(row) == len(capped["columns"]) for row in capped["rows"])
    rejected_examples = operation["responses"]["400"]["content"]["application/json"]
    rejected = rejected_examples.get("example") or next(iter(rejected_examples["examples"].values()))["value"]
    real_rejected = client.get(base + "/-/llm/query.json", params={"database": "db", "sql": "select stars from users"})
    assert real_rejected.status_code == 400
    real_rejected = real_rejected.json()
    for key in ("ok", "code", "status", "kind"):
        assert rejected[key] == real_rejected[key], (key, rejected[key], real_rejected[key])
    assert set(rejected) == set(real_rejected), set(rejected) ^ set(real_rejected)


def test_a_request_body_is_marked_required_exactly_when_the_server_needs_one(served):
    """OpenAPI 3.1 Request Body Object `required`: the query API's and Ask's POSTs without a body (or with an empty
    JSON object) are refused before any query or model runs, so the spec must say their bodies are required."""
    base, client, spec = served
    for spec_path, url in (("/-/llm/query.json", "/-/llm/query.json"), ("/{database}/-/ask.json", "/db/-/ask.json")):
        operation = spec["paths"][spec_path]["post"]
        for content in (b"", b"{}"):
            response = client.post(base + url, content=content, headers={"Content-Type": "application/json"})
            assert 400 <= response.status_code < 500, (url, content, response.status_code)
        assert operation["requestBody"].get("required", False) is True, spec_path
