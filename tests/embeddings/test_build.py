"""Building collections: ids, incremental rebuilds, deletions, interrupted builds that resume, --sql."""

import json
import sqlite3

import pytest
from search_helpers import FakeEmbeddingModel, make_table

from datasette_llm.embeddings import BuildInterrupted, embed_table, enable_fts
from datasette_llm.embeddings.store import ModelMismatch
from datasette_llm.errors import BadRequest, NotFound

pytestmark = pytest.mark.no_datasette

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def docs(n: int) -> list[dict]:
    return [{"id": i, "title": WORDS[i % 10], "body": f"{WORDS[(i * 3) % 10]} number {i}", "n": i} for i in range(n)]


def stored(path) -> dict:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("select id, content_hash from embeddings"))


def test_incremental_rebuild_skips_unchanged_and_removes_deleted(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", docs(40))
    model = FakeEmbeddingModel()
    first = embed_table(str(path), "docs", model=model, batch_size=8)
    assert (first.embedded, first.unchanged, first.removed, first.total) == (40, 0, 0, 40)
    assert model.texts_embedded == 40
    before = stored(path)

    with sqlite3.connect(path) as conn:
        conn.execute("update docs set body = 'changed text' where id in (3, 4)")
        conn.execute("delete from docs where id in (10, 11, 12)")
        conn.execute("insert into docs (id, title, body, n) values (100, 'new', 'row', 0)")
    second = embed_table(str(path), "docs", model=model, batch_size=8)
    assert (second.embedded, second.unchanged, second.removed) == (3, 35, 3)
    assert model.texts_embedded == 43  # only the changed and the new rows reached the model
    after = stored(path)
    assert set(after) == (set(before) - {"10", "11", "12"}) | {"100"}
    assert after["3"] != before["3"] and after["5"] == before["5"]

    third = embed_table(str(path), "docs", model=model)
    assert (third.embedded, third.unchanged, third.removed) == (0, 38, 0)


def test_default_columns_are_the_text_columns(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", docs(2))
    embed_table(str(path), "docs", model=FakeEmbeddingModel(), store=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select content from embeddings where id = '1'").fetchone() == ("bravo delta number 1",)
    embed_table(str(path), "docs", columns=["body"], model=FakeEmbeddingModel(), store=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select content from embeddings where id = '1'").fetchone() == ("delta number 1",)
    with pytest.raises(BadRequest, match="no column 'nope'"):
        embed_table(str(path), "docs", columns=["nope"], model=FakeEmbeddingModel())
    with pytest.raises(NotFound, match="Tables: docs"):
        embed_table(str(path), "missing", model=FakeEmbeddingModel())


def test_interrupted_build_keeps_batches_and_resumes(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", docs(50))
    model = FakeEmbeddingModel()
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C after the second committed batch

    with pytest.raises(BuildInterrupted) as interrupted:
        embed_table(str(path), "docs", model=model, batch_size=10, progress=progress)
    assert interrupted.value.summary.embedded == 20
    assert calls == [(10, 50), (20, 50)]
    assert len(stored(path)) == 20  # committed batches survive

    resumed = embed_table(str(path), "docs", model=model, batch_size=10)
    assert (resumed.embedded, resumed.unchanged, resumed.removed) == (30, 20, 0)
    assert len(stored(path)) == 50
    assert model.texts_embedded == 50


def test_ids_for_compound_and_missing_primary_keys(tmp_path):
    path = tmp_path / "data.db"
    make_table(
        path, "pairs", [{"a": "x", "b": 1, "text": "first"}, {"a": "y", "b": 2, "text": "second"}], pk=("a", "b")
    )
    with sqlite3.connect(path) as conn:
        conn.execute("create table loose (text text)")
        conn.executemany("insert into loose values (?)", [("one",), ("two",), (None,)])
    model = FakeEmbeddingModel()
    embed_table(str(path), "pairs", model=model)
    summary = embed_table(str(path), "loose", model=model)
    assert summary.skipped == 1 and summary.embedded == 2
    with sqlite3.connect(path) as conn:
        ids = [
            row[0]
            for row in conn.execute(
                "select e.id from embeddings e join collections c "
                "on c.id = e.collection_id where c.name = 'pairs' order by e.id"
            )
        ]
        assert [json.loads(i) for i in ids] == [["x", 1], ["y", 2]]
        loose = conn.execute(
            "select e.id from embeddings e join collections c on c.id = e.collection_id "
            "where c.name = 'loose' order by e.id"
        ).fetchall()
        assert loose == [("1",), ("2",)]


def test_sql_source_and_model_mismatch(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", docs(5))
    summary = embed_table(
        str(path), "docs", sql="select id, title, body from docs where n < 3", model=FakeEmbeddingModel()
    )
    assert summary.embedded == 3
    with pytest.raises(BadRequest, match="--sql query failed"):
        embed_table(str(path), "docs", sql="select nope from docs", model=FakeEmbeddingModel())
    with pytest.raises(ModelMismatch, match="--replace"):
        embed_table(str(path), "docs", model=FakeEmbeddingModel("other-model"))
    replaced = embed_table(str(path), "docs", model=FakeEmbeddingModel("other-model"), replace=True)
    assert replaced.embedded == 5 and replaced.model == "other-model"


def test_enable_fts_for_the_demo(tmp_path):
    path = tmp_path / "data.db"
    make_table(path, "docs", docs(5))
    assert enable_fts(str(path), "docs") == "docs_fts"
    with sqlite3.connect(path) as conn:
        conn.execute("insert into docs (id, title, body, n) values (99, 'zulu', 'kept in sync', 0)")
        assert conn.execute("select rowid from docs_fts where docs_fts match 'zulu'").fetchall() == [(99,)]


def test_a_build_whose_model_fails_before_any_row_leaves_the_database_as_it_was(tmp_path):
    """The model server down: the next build with another model was refused as "embedded with model ..." (an outside
    tester's generated CLI invocations, session 45). A collection that has rows keeps them."""
    from datasette_llm.errors import ModelError

    class Down(FakeEmbeddingModel):
        def embed(self, texts, batch_size=32):
            raise ModelError("the embedding server refused the connection")

    path = tmp_path / "data.db"
    make_table(path, "docs", docs(5))
    before = path.read_bytes()
    with pytest.raises(ModelError):
        embed_table(str(path), "docs", model=Down("openai:down"))
    assert path.read_bytes() == before  # nothing written: no storage tables, no collection
    summary = embed_table(str(path), "docs", model=FakeEmbeddingModel("other-model"))
    assert summary.embedded == 5 and summary.model == "other-model"
    with sqlite3.connect(path) as conn:
        conn.execute("update docs set body = 'changed' where id = 1")
    kept = stored(path)
    with pytest.raises(ModelError):
        embed_table(str(path), "docs", model=Down("other-model"))
    with pytest.raises(ModelError):  # --replace with a model that fails: the old model's vectors stay (they went)
        embed_table(str(path), "docs", model=Down("third-model"), replace=True)
    assert stored(path) == kept  # a failed run over an existing collection takes nothing from it
    with sqlite3.connect(path) as conn:
        assert conn.execute("select model from collections").fetchall() == [("other-model",)]
    replaced = embed_table(str(path), "docs", model=FakeEmbeddingModel("third-model"), replace=True)
    assert replaced.embedded == 5 and replaced.model == "third-model"
