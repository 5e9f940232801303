"""SECURITY.md: "the command line embeds at most 200,000 characters of a row". A row of 150,000 characters is embedded
whole; one of 250,000 is cut at 200,000 (what is stored with --store and hashed is what the model was given)."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel

from datasette_llm.embeddings import content_hash, embed_table

pytestmark = pytest.mark.no_datasette


def test_rows_are_cut_at_200_000_characters(tmp_path):
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table docs (id integer primary key, body text)")
        conn.execute("insert into docs values (1, ?)", ["a" * 150_000])
        conn.execute("insert into docs values (2, ?)", ["b" * 250_000])
    conn.close()
    model = FakeEmbeddingModel()
    embed_table(str(path), "docs", model=model, store=True)
    with sqlite3.connect(path) as conn:
        rows = dict(
            (r[0], (r[1], r[2])) for r in conn.execute("select id, length(content), content_hash from embeddings")
        )
    conn.close()
    assert rows["1"] == (150_000, content_hash("a" * 150_000))
    assert rows["2"] == (200_000, content_hash("b" * 200_000))
