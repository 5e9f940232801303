"""Fixtures for the agents tests (tests/agents/ and tests/agents/mcp/)."""

import pytest
from agents_helpers import bearer_hooks_module, build_db, datasette_for
from datasette.plugins import pm
from server_helpers import serve_in_thread


@pytest.fixture(autouse=True, scope="module")
def agents_test_hooks():
    """Register the `Authorization: Bearer testtok_<id>` sign-in (see agents_helpers) for each test module."""
    module = bearer_hooks_module()
    pm.register(module, name=module.__name__)
    yield
    pm.unregister(module)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The URL of a real HTTP server (uvicorn on 127.0.0.1) for one module: Datasette over a small `db`."""
    ds = datasette_for(build_db(tmp_path_factory.mktemp("served") / "db.db", big=False))
    with serve_in_thread(ds.app()) as url:
        yield url
