"""progress(done, total) is what the CLI's bar and Ctrl-C hang on: it is called after every committed batch, every
`batch_size * 8` unchanged rows of a rebuild (so a rebuild of a large unchanged table shows progress and can be
stopped between rows), and once at the end with (total, total)."""

import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import BuildInterrupted, embed_table

pytestmark = pytest.mark.no_datasette


def rows(n):
    return [{"id": i, "body": f"walrus number {i}"} for i in range(n)]


def test_progress_after_batches_during_unchanged_rows_and_at_the_end(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", rows(20))
    calls = []
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), batch_size=6, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(6, 20), (12, 20), (18, 20), (20, 20)]  # three full batches, then the end

    calls.clear()
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), batch_size=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(8, 20), (16, 20), (20, 20)]  # every 8 unchanged rows, then the end


def test_ctrl_c_during_an_unchanged_rebuild_stops_it(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", rows(40))
    model = FakeEmbeddingModel()
    embed_table(str(path), "docs", model=model, batch_size=4)

    def progress(done, total):
        raise KeyboardInterrupt

    with sqlite3.connect(path) as conn:
        conn.execute("delete from docs where id = 39")
    conn.close()
    with pytest.raises(BuildInterrupted) as stopped:
        embed_table(str(path), "docs", model=model, batch_size=1, progress=progress)
    assert stopped.value.summary.unchanged == 8 and stopped.value.summary.removed == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from embeddings").fetchone() == (40,)  # the stale row waits for a full run
    conn.close()
