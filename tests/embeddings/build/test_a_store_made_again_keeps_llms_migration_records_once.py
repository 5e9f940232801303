"""The storage tables dropped (to start over) while llm's migration records stay: the next build makes the tables
again and records only the migrations missing, never one twice (sqlite-utils' unique index on (migration_set, name)
refused the second record, and the build with it)."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import embed_table
from datasette_llm.embeddings.store import LLM_MIGRATIONS

pytestmark = pytest.mark.no_datasette


def test_dropped_storage_is_made_again_over_kept_records(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    embed_table(str(path), "docs", model=FakeEmbeddingModel())
    with sqlite3.connect(path) as conn:
        conn.execute("drop table embeddings")
        conn.execute("drop table collections")
        conn.execute("delete from _sqlite_migrations where name = 'm005_add_content_blob'")
    conn.close()
    summary = embed_table(str(path), "docs", model=FakeEmbeddingModel())
    assert summary.embedded == 1
    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute("select name from _sqlite_migrations order by name")]
    conn.close()
    assert names == sorted(LLM_MIGRATIONS)
