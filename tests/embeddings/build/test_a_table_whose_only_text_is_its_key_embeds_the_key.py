"""A table whose only text column is its primary key (a list of tags, of place names): with no other text to embed,
the key's own text is embedded, rather than the table refused as having no text columns."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel

from datasette_llm.embeddings import content_hash, embed_table

pytestmark = pytest.mark.no_datasette


def test_the_key_text_is_embedded_when_it_is_all_there_is(tmp_path):
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table tags (name text primary key, uses integer)")
        conn.executemany("insert into tags values (?, ?)", [("walrus", 3), ("mango", 1)])
    conn.close()
    summary = embed_table(str(path), "tags", model=FakeEmbeddingModel(), store=True)
    assert summary.embedded == 2
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select id, content, content_hash from embeddings order by id").fetchall()
    conn.close()
    assert rows == [("mango", "mango", content_hash("mango")), ("walrus", "walrus", content_hash("walrus"))]
