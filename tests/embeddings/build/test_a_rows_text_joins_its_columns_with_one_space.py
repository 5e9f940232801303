"""A row's text is its text columns' values joined with one space, values that are NULL, empty or only whitespace
left out (what is embedded, hashed and stored with --store): a blank middle column adds no run of spaces, so the
stored text and its hash are the same as if the column were NULL."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel

from datasette_llm.embeddings import content_hash, embed_table

pytestmark = pytest.mark.no_datasette


def test_blank_columns_add_nothing(tmp_path):
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table docs (id integer primary key, a text, b text, c text)")
        conn.execute("insert into docs values (1, 'walrus', '   ', 'ice')")
        conn.execute("insert into docs values (2, 'walrus', null, 'ice')")
    conn.close()
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), store=True)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select id, content, content_hash from embeddings order by id").fetchall()
    conn.close()
    assert rows == [("1", "walrus ice", content_hash("walrus ice")), ("2", "walrus ice", content_hash("walrus ice"))]


def test_the_text_is_trimmed_at_both_ends(tmp_path):
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table docs (id integer primary key, a text, b text)")
        conn.execute("insert into docs values (1, '  walrus', 'ice \n')")
    conn.close()
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), store=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select content, content_hash from embeddings").fetchall() == [
            ("walrus ice", content_hash("walrus ice"))
        ]
    conn.close()
