"""The read-only documents for assistants (the manifest, the OpenAPI spec in JSON and YAML, the schema listing)
and the search API answer only GET and HEAD (the search ran and answered 200 to any method, an outside tester's
generated requests, session 53): any other method is a 405 that says, in `Allow`, what the resource takes (RFC 9110
15.5.6), with a JSON error, as Datasette's own read-only JSON (`/-/versions.json`) refuses such a method too
(the oracle, asked for the same method)."""

import pytest
from datasette.app import Datasette
from examples_helpers import make_database

ROUTES = [
    "/.well-known/ai-plugin.json",
    "/-/llm/openapi.json",
    "/-/llm/openapi.yaml",
    "/-/llm/schema.json",
    "/-/semantic-search?q=river&mode=keyword",
]
METHODS = ["POST", "PUT", "PATCH", "DELETE"]


@pytest.mark.asyncio
async def test_other_methods_are_405_with_allow(tmp_path):
    ds = Datasette([str(make_database(tmp_path / "db.db"))])
    for method in METHODS:
        datasettes = await ds.client.request(method, "/-/versions.json") if hasattr(ds.client, "request") else None
        if datasettes is not None:
            assert not 200 <= datasettes.status_code < 300, (method, datasettes.status_code)
        for route in ROUTES:
            response = await getattr(ds.client, method.lower())(
                route, **({"json": {}} if method in ("POST", "PUT", "PATCH") else {})
            )
            assert response.status_code == 405, (method, route, response.status_code)
            assert "GET" in [part.strip() for part in response.headers.get("allow", "").split(",")], (method, route)
            assert response.json()["ok"] is False
    for route in ROUTES:
        assert (await ds.client.get(route)).status_code == 200, route
