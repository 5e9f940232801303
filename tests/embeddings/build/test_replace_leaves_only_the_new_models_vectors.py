"""`--replace` re-embeds a collection with another model: afterwards it holds the new model's vectors of the rows that
exist now and nothing of the old model, rows deleted since the old build included (their old vectors would be
ranked by a query vector of another model)."""

import sqlite3

import numpy as np
import pytest
from search_helpers import FakeEmbeddingModel, make_table, word_vector

from datasette_llm.embeddings import embed_table

pytestmark = pytest.mark.no_datasette


class Shifted(FakeEmbeddingModel):
    """Another model: the same words, other vectors."""

    def _embed(self, texts):
        return -super()._embed(texts)


def test_replace_keeps_only_the_current_rows_with_the_new_model(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"walrus {w}"} for i, w in enumerate(["ice", "sea", "fish", "snow"])])
    embed_table(str(path), "docs", model=FakeEmbeddingModel("model-a"))
    with sqlite3.connect(path) as conn:
        conn.execute("delete from docs where id in (1, 3)")
    conn.close()
    summary = embed_table(str(path), "docs", model=Shifted("model-b"), replace=True)
    assert (summary.embedded, summary.model) == (2, "model-b")
    with sqlite3.connect(path) as conn:
        assert conn.execute("select model from collections").fetchall() == [("model-b",)]
        stored = dict(conn.execute("select id, embedding from embeddings"))
    conn.close()
    assert sorted(stored) == ["0", "2"]
    for id_, text in (("0", "walrus ice"), ("2", "walrus fish")):
        expected = -word_vector(text)
        expected /= np.linalg.norm(expected)
        assert np.allclose(np.frombuffer(stored[id_], "<f4"), expected, atol=1e-6)
