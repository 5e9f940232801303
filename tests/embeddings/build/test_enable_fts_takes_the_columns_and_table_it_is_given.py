"""enable_fts(path, table, columns): the full-text index covers exactly the columns asked for (not every text
column), and a table that does not exist is NotFound, the database left as it was."""

import sqlite3

import pytest
from search_helpers import make_table

from datasette_llm.embeddings import enable_fts
from datasette_llm.errors import NotFound

pytestmark = pytest.mark.no_datasette


def test_only_the_columns_asked_for_are_indexed(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "title": "walrus", "body": "mango"}])
    assert enable_fts(str(path), "docs", ["title"]) == "docs_fts"
    with sqlite3.connect(path) as conn:
        assert [row[1] for row in conn.execute("pragma table_info(docs_fts)")] == ["title"]
        assert conn.execute("select rowid from docs_fts where docs_fts match 'mango'").fetchall() == []
    conn.close()


def test_a_missing_table_is_not_found(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "title": "walrus", "body": "mango"}])
    before = path.read_bytes()
    with pytest.raises(NotFound, match="Tables: docs"):
        enable_fts(str(path), "nope")
    assert path.read_bytes() == before
