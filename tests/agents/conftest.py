"""Fixtures for the agents tests (tests/agents/ and tests/agents/mcp/)."""

import pytest
from agents_helpers import bearer_hooks_module
from datasette.plugins import pm


@pytest.fixture(autouse=True, scope="module")
def agents_test_hooks():
    """Register the `Authorization: Bearer testtok_<id>` sign-in (see agents_helpers) for each test module."""
    module = bearer_hooks_module()
    pm.register(module, name=module.__name__)
    yield
    pm.unregister(module)
