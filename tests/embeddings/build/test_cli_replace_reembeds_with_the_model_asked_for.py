"""`datasette llm embed --model M --replace` re-embeds a collection built with another model; without --replace the
command refuses (exit 1) and leaves it as it was."""

import sqlite3

import pytest
from click.testing import CliRunner
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.cli import llm


@pytest.fixture
def models_by_name(monkeypatch):
    from datasette_llm import models

    made = {}

    def lookup(settings, spec=None):
        name = spec or "fake-bow"
        return made.setdefault(name, FakeEmbeddingModel(name))

    monkeypatch.setattr(models, "embedding_model_for", lookup)
    return made


def test_replace_switches_the_model(tmp_path, models_by_name):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", [{"id": 1, "body": "walrus"}, {"id": 2, "body": "mango"}])
    runner = CliRunner()
    assert runner.invoke(llm, ["embed", path, "docs"]).exit_code == 0
    refused = runner.invoke(llm, ["embed", path, "docs", "--model", "other"])
    assert refused.exit_code == 1 and "--replace" in refused.output
    with sqlite3.connect(path) as conn:
        assert conn.execute("select model from collections").fetchall() == [("fake-bow",)]
    conn.close()
    replaced = runner.invoke(llm, ["embed", path, "docs", "--model", "other", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "2 embedded" in replaced.output
    with sqlite3.connect(path) as conn:
        assert conn.execute("select model from collections").fetchall() == [("other",)]
    conn.close()
