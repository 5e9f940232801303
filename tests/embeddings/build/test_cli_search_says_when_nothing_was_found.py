"""`datasette llm search` with no hits says "No results." (on stderr), so an empty answer is not mistaken for a
command that printed nothing."""

import pytest
from click.testing import CliRunner
from search_helpers import make_table, use_fake_model

from datasette_llm.cli import llm


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def test_no_hits_is_said(tmp_path, fake_model):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    result = CliRunner().invoke(llm, ["search", path, "walrus", "--mode", "semantic"])
    assert result.exit_code == 0, result.output
    assert "No results." in result.output
