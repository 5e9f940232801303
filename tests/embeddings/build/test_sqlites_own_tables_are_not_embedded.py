"""SQLite's own tables (`sqlite_sequence`, `sqlite_stat1`) describe other tables (sqlite_sequence names every
AUTOINCREMENT table, hidden ones too): no build reads them, even with their columns named, as a table that does not
exist."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel

from datasette_llm.embeddings import embed_table
from datasette_llm.errors import NotFound

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("table, column", [("sqlite_sequence", "name"), ("sqlite_stat1", "tbl")])
def test_sqlite_tables_are_not_found(tmp_path, table, column):
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table secret (id integer primary key autoincrement, body text)")
        conn.execute("create index secret_body on secret (body)")
        conn.execute("insert into secret (body) values ('walrus')")
        conn.execute("analyze")
    conn.close()
    with pytest.raises(NotFound, match="does not exist"):
        embed_table(str(path), table, columns=[column], model=FakeEmbeddingModel())
