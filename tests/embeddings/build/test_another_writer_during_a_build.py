"""Another program writing to the database while a build runs (an outside tester, session 54): in WAL mode the
build's next batch failed with "database is locked", because the query it read rows through kept the file as it
was when the build began, and SQLite refuses to write from a view of the file older than its newest commit. The
build now reads its rows through a connection of their own in WAL mode, and writes through another; both the
build and the other writer succeed, and the next build embeds the rows written meanwhile. In rollback-journal mode
the open read held a shared lock for the whole build, so the other writer was told the database is locked: the
rows are now copied aside first and the read ended before the first batch (session 56)."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel

from datasette_llm.embeddings import embed_table

pytestmark = pytest.mark.no_datasette


class WritesBetweenBatches(FakeEmbeddingModel):
    """Embeds as the fake model does; before each batch another connection adds a row to the table and commits."""

    def __init__(self, path):
        super().__init__()
        self.path, self.writes = path, 0

    def _embed(self, texts):
        other = sqlite3.connect(self.path, timeout=2)
        try:
            with other:
                other.execute("insert into docs (body) values (?)", [f"written meanwhile {self.writes}"])
            self.writes += 1
        finally:
            other.close()
        return super()._embed(texts)


@pytest.mark.parametrize("journal", ["wal", "delete", "truncate", "persist"])
@pytest.mark.parametrize("opened", ["path", "connection"])
def test_a_build_and_another_writer_both_succeed(tmp_path, opened, journal):
    path = str(tmp_path / "data.db")
    with sqlite3.connect(path) as conn:
        conn.execute(f"pragma journal_mode={journal}")
        conn.execute("create table docs (id integer primary key, body text)")
        conn.executemany("insert into docs (body) values (?)", [(f"walrus {i}",) for i in range(40)])
    conn.close()
    model = WritesBetweenBatches(path)
    target = path if opened == "path" else sqlite3.connect(path)
    summary = embed_table(target, "docs", model=model, batch_size=10)
    assert summary.total == 40 and summary.embedded == 40
    written = model.writes
    assert written == 4
    again = embed_table(path, "docs", model=FakeEmbeddingModel(), batch_size=10)
    assert again.embedded == written and again.unchanged == 40
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from embeddings").fetchone() == (40 + written,)
        assert conn.execute("select count(*) from docs").fetchone() == (40 + written,)
