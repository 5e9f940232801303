"""An `embeddings` table of an older llm (no content_hash, content_blob or updated) can be searched but not written
the way a build writes: the build refuses with SchemaConflict before any model call, the table left as it was, instead
of failing on a missing column after embedding the first batch."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import SchemaConflict, embed_table

pytestmark = pytest.mark.no_datasette


def test_a_store_without_the_columns_a_build_writes_is_refused(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    with sqlite3.connect(path) as conn:
        conn.execute("create table collections (id integer primary key, name text, model text)")
        conn.execute(
            "create table embeddings (collection_id integer, id text, embedding blob, content text, "
            "metadata text, primary key (collection_id, id))"
        )
        conn.execute("insert into collections values (1, 'docs', 'fake-bow')")
    conn.close()
    before = path.read_bytes()
    model = FakeEmbeddingModel()
    with pytest.raises(SchemaConflict):
        embed_table(str(path), "docs", model=model)
    assert model.calls == 0
    assert path.read_bytes() == before
