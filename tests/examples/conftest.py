"""Fixtures of the `datasette llm examples` command tests."""

import pytest
from examples_helpers import make_database

from datasette_llm.examples import STATE_DIR_ENV


@pytest.fixture
def db_path(tmp_path):
    return str(make_database(tmp_path / "db.db"))


@pytest.fixture
def state(tmp_path, monkeypatch):
    """The state directory every command of a test uses, by the environment variable (and tracebacks shown as
    one line, as users see them: DATASETTE_LLM_DEBUG unset)."""
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "state"))
    monkeypatch.delenv("DATASETTE_LLM_DEBUG", raising=False)
    return tmp_path / "state"
