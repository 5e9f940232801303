"""`datasette llm embed --store` keeps each row's text in the `content` column (as `llm embed --store`); without it the
column stays empty."""

import sqlite3

import pytest
from click.testing import CliRunner
from search_helpers import make_table, use_fake_model

from datasette_llm.cli import llm


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def test_store_flag_reaches_the_build(tmp_path, fake_model):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    make_table(path, "notes", [{"id": 1, "body": "mango"}])
    runner = CliRunner()
    assert runner.invoke(llm, ["embed", path, "docs", "--store"]).exit_code == 0
    assert runner.invoke(llm, ["embed", path, "notes"]).exit_code == 0
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "select c.name, e.content from embeddings e join collections c on c.id = e.collection_id order by c.name"
        ).fetchall()
    conn.close()
    assert rows == [("docs", "walrus"), ("notes", None)]
