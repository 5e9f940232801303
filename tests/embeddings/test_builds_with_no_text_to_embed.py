"""A build with no row to embed succeeds and changes what it says it changes (embeddings/build.py).

- The first build of an empty table, or of one whose text is all NULL, embeds 0 rows and exits 0: the storage
  tables are created with the first batch, and the removal of stale vectors, with nothing to remove, failed with
  "no such table: embeddings" (CLI exit 1);
- `--replace` with another model and no row to embed still empties the collection and moves it to that model:
  the summary said the new model while the collection kept the old one and its vectors, and the next plain
  build with the new model was refused.

Found by an outside tester's generated build sequences (session 54: 17 of 18 mismatches were the first).
"""

import sqlite3

import pytest
from click.testing import CliRunner
from datasette.cli import cli
from search_helpers import FakeEmbeddingModel, use_fake_model

from datasette_llm.embeddings import embed_table
from datasette_llm.embeddings.store import StoreTables, list_collections


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def database(path, rows):
    conn = sqlite3.connect(path)
    conn.execute("create table docs (id integer primary key, body text)")
    conn.executemany("insert into docs (body) values (?)", [(row,) for row in rows])
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("rows", [[], [None, None]])
def test_a_first_build_with_no_text_embeds_nothing_and_succeeds(tmp_path, fake_model, rows):
    path = database(tmp_path / "data.db", rows)
    summary = embed_table(str(path), "docs", model=fake_model)
    assert (summary.embedded, summary.skipped, summary.removed) == (0, len(rows), 0)
    result = CliRunner().invoke(cli, ["llm", "embed", str(path), "docs"])
    assert result.exit_code == 0, result.output
    assert "0 embedded" in result.output and "Error" not in result.output


def test_replace_with_no_text_left_moves_the_collection_to_the_new_model(tmp_path):
    path = database(tmp_path / "data.db", ["first words", "second words"])
    embed_table(str(path), "docs", model=FakeEmbeddingModel("model-a"))
    conn = sqlite3.connect(path)
    conn.execute("update docs set body = null")
    conn.commit()
    embed_table(str(path), "docs", model=FakeEmbeddingModel("model-b"), replace=True)
    (collection,) = list_collections(conn, StoreTables(""))
    assert collection.model == "model-b"
    assert conn.execute("select count(*) from embeddings").fetchone()[0] == 0  # model-a's vectors are gone
    conn.close()
    again = embed_table(str(path), "docs", model=FakeEmbeddingModel("model-b"))  # not refused as another model's
    assert again.embedded == 0
