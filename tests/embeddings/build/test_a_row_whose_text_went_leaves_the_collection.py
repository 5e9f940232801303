"""A row whose text became empty or NULL since the last build has nothing to embed: its old vector (of text it no
longer has) is removed by the next build, as a deleted row's is."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import embed_table

pytestmark = pytest.mark.no_datasette


def test_a_row_emptied_since_the_build_loses_its_vector(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"walrus {i}"} for i in range(4)])
    embed_table(str(path), "docs", model=FakeEmbeddingModel())
    with sqlite3.connect(path) as conn:
        conn.execute("update docs set body = null where id = 1")
        conn.execute("update docs set body = '   ' where id = 2")
    conn.close()
    summary = embed_table(str(path), "docs", model=FakeEmbeddingModel())
    assert (summary.skipped, summary.removed, summary.unchanged) == (2, 2, 2)
    with sqlite3.connect(path) as conn:
        assert sorted(r[0] for r in conn.execute("select id from embeddings")) == ["0", "3"]
    conn.close()
