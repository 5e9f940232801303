"""With a table prefix the storage is ours alone (llm cannot find `llm_embeddings`), so llm's migration records are
not written: recorded, they would tell a later `llm embed -d DB` that its own `embeddings` tables exist when they do
not, and llm would write to tables it never created."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import embed_table

pytestmark = pytest.mark.no_datasette


def test_no_migration_records_under_a_prefix(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), table_prefix="llm_")
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    conn.close()
    assert {"llm_collections", "llm_embeddings"} <= names
    assert "_sqlite_migrations" not in names


def test_an_apps_own_migrations_table_gets_no_llm_records_under_a_prefix(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus"}])
    with sqlite3.connect(path) as conn:
        conn.execute(
            "create table _sqlite_migrations (id integer primary key, migration_set text, name text, applied_at text)"
        )
        conn.execute("insert into _sqlite_migrations (migration_set, name) values ('myapp', 'm001')")
    conn.close()
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), table_prefix="llm_")
    with sqlite3.connect(path) as conn:
        assert conn.execute("select migration_set, name from _sqlite_migrations").fetchall() == [("myapp", "m001")]
    conn.close()
