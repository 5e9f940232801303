"""`store=False` (the default, as llm's) keeps no text in the `content` column; `store=True` keeps it: a table's text
stays in its table unless asked for."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import embed_table

pytestmark = pytest.mark.no_datasette


def test_content_is_kept_only_when_asked(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}, {"id": 2, "body": "mango"}])
    embed_table(str(path), "docs", model=FakeEmbeddingModel())
    with sqlite3.connect(path) as conn:
        assert conn.execute("select id, content from embeddings order by id").fetchall() == [("1", None), ("2", None)]
        conn.execute("update docs set body = 'orchid' where id = 2")
    conn.close()
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), store=True)
    with sqlite3.connect(path) as conn:  # the row embedded again keeps its text; the unchanged one is left as it was
        assert conn.execute("select id, content from embeddings order by id").fetchall() == [
            ("1", None),
            ("2", "orchid"),
        ]
    conn.close()
