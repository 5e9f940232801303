"""A search of every collection (no table named) ranks their rows together, best cosine first, whichever collection
each comes from; and a stored id that names no row (the store is database content, written by llm or any tool) is
passed over without taking the table's other hits with it. Found by an outside tester's mutation run (session 53),
each passing the suite: the collections' rankings left in collection order (a limit=1 search answered the first
table's best, not the best), a rowid id matched on its leading digits ("7x": every search of the database a 500),
and a composite id of the wrong arity making the whole read of its table fail (every hit of that table gone).

Oracle: a brute-force cosine over the stored vectors of rows that exist, through real Datasette and SQLite.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from datasette.app import Datasette
from search_helpers import make_table, unpack, use_fake_model

from datasette_llm.embeddings import embed_table


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


WORDS = ["apple", "banana", "cherry", "dolphin", "eagle", "falcon", "giraffe", "harbor", "island", "jungle"]


def brute_force(path, query) -> list[tuple[str, str, float]]:
    q = np.asarray(query, dtype=np.float64)
    q = q / np.linalg.norm(q)
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "select c.name, e.id, e.embedding from embeddings e join collections c on c.id = e.collection_id"
        ).fetchall()
    conn.close()
    scored = [(t, i, float(np.asarray(unpack(b)) @ q / np.linalg.norm(unpack(b)))) for t, i, b in rows]
    return sorted(scored, key=lambda item: -item[2])


@pytest.mark.asyncio
@pytest.mark.parametrize("query", ["zebra walrus", "apple banana", "harbor island jungle", "quartz"])
@pytest.mark.parametrize("limit", [1, 3, 8])
async def test_the_best_rows_of_all_collections_come_first(tmp_path, fake_model, query, limit):
    path = tmp_path / "data.db"
    make_table(path, "alpha", [{"id": i, "body": f"{WORDS[i]} {WORDS[(i + 3) % 10]}"} for i in range(10)])
    make_table(path, "beta", [{"id": i, "body": f"{WORDS[(i * 7) % 10]} river"} for i in range(10)])
    make_table(path, "omega", [{"id": 1, "body": "zebra walrus"}, {"id": 2, "body": "quartz"}])
    for table in ("alpha", "beta", "omega"):
        embed_table(str(path), table, model=fake_model)
    ds = Datasette([str(path)])
    response = await ds.client.get(
        "/-/semantic-search", params={"q": query, "database": "data", "mode": "semantic", "limit": limit}
    )
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    expected = brute_force(path, fake_model.embed([query])[0])[:limit]
    assert [(h["table"], h["id"]) for h in hits] == [(t, i) for t, i, _ in expected]
    assert [h["score"] for h in hits] == pytest.approx([s for _, _, s in expected], abs=1e-5)


@pytest.mark.asyncio
async def test_a_stored_id_that_names_no_row_is_passed_over_and_the_tables_other_hits_stay(tmp_path, fake_model):
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table loose (body text)")  # rowid only
        conn.executemany("insert into loose values (?)", [(f"{WORDS[i]} words",) for i in range(6)])
        conn.execute("create table pairs (a text, b integer, body text, primary key (a, b))")
        conn.executemany("insert into pairs values (?, ?, ?)", [(f"k{i}", i, f"{WORDS[i]} words") for i in range(6)])
    conn.close()
    embed_table(str(path), "loose", model=fake_model)
    embed_table(str(path), "pairs", model=fake_model)
    with sqlite3.connect(path) as conn:  # ids no row has, written by another tool: the query's own words
        vector = np.asarray(fake_model.embed(["apple words"])[0], dtype="<f4").tobytes()
        for name, bad in [("loose", "1x"), ("pairs", '["k0", 0, "extra"]')]:
            (collection,) = conn.execute("select id from collections where name = ?", (name,)).fetchone()
            conn.execute(
                "insert into embeddings (collection_id, id, embedding, updated) values (?, ?, ?, 0)",
                (collection, bad, vector),
            )
    conn.close()
    ds = Datasette([str(path)])
    for table, first in [("loose", "1"), ("pairs", '["k0", 0]')]:
        response = await ds.client.get(
            "/-/semantic-search",
            params={"q": "apple words", "database": "data", "table": table, "mode": "semantic", "limit": 6},
        )
        assert response.status_code == 200, response.text
        hits = response.json()["hits"]
        assert len(hits) == 6 and hits[0]["id"] == first, hits
        assert hits[0]["row"]["body"] == "apple words"
        # the row page: /data/loose/1 (rowid), /data/pairs/k0,0 (key values)
        assert hits[0]["url"] == {"loose": "/data/loose/1", "pairs": "/data/pairs/k0,0"}[table], hits[0]


@pytest.mark.asyncio
async def test_a_collection_named_after_no_table_answers_with_its_stored_text(tmp_path, fake_model):
    """An llm collection that matches no table is searched by its stored content (docs/embeddings.md), for an actor
    who may view the storage tables (here anyone: no rules): its rows exist while its vectors do."""
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"{WORDS[i]} words"} for i in range(4)])
    make_table(path, "other", [{"id": i, "body": f"other text {i}"} for i in range(4)])  # the same ids
    embed_table(str(path), "other", model=fake_model, collection="elsewhere", store=True)
    embed_table(str(path), "docs", model=fake_model, collection="memo", store=True)
    ds = Datasette([str(path)])
    response = await ds.client.get(
        "/-/semantic-search", params={"q": "cherry words", "database": "data", "table": "memo", "mode": "semantic"}
    )
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert [h["id"] for h in hits][:1] == ["2"] and len(hits) == 4
    assert hits[0]["row"] == {"id": "2", "content": "cherry words", "metadata": None} and hits[0]["url"] is None
    # each hit's content is its own collection's, never another's row of the same id
    assert all(hit["row"]["content"].endswith("words") for hit in hits), hits


@pytest.mark.asyncio
async def test_a_long_text_key_names_its_row_whole(tmp_path, fake_model):
    """Cells are cut to what a hit shows (300 characters) by SQLite, but never the key: a key cut short named no
    row, and the hit was gone."""
    path = tmp_path / "data.db"
    long_key = "k" * 450 + "-end"
    make_table(
        path, "pages", [{"slug": long_key, "body": "zebra walrus"}, {"slug": "short", "body": "apple pie"}], pk="slug"
    )
    embed_table(str(path), "pages", model=fake_model)
    ds = Datasette([str(path)])
    response = await ds.client.get(
        "/-/semantic-search", params={"q": "zebra walrus", "database": "data", "table": "pages", "mode": "semantic"}
    )
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert [hit["id"] for hit in hits] == [long_key, "short"] and hits[0]["pk"] == [long_key]


@pytest.mark.asyncio
async def test_a_stored_id_too_long_for_any_hit_is_no_hit_of_a_collection_without_a_table(tmp_path, fake_model):
    """An id longer than MAX_KEY_CHARS names no row a hit can show (hits.py; session 28: an id of 8 MB made a 126 MB
    response), for a collection named after no table as for a table's."""
    from datasette_llm.embeddings.hits import MAX_KEY_CHARS

    path = tmp_path / "data.db"
    long_key = "k" * (MAX_KEY_CHARS + 1)
    make_table(
        path, "pages", [{"slug": long_key, "body": "zebra walrus"}, {"slug": "short", "body": "apple pie"}], pk="slug"
    )
    embed_table(str(path), "pages", model=fake_model, collection="memo", store=True)
    ds = Datasette([str(path)])
    response = await ds.client.get(
        "/-/semantic-search", params={"q": "zebra walrus", "database": "data", "table": "memo", "mode": "semantic"}
    )
    assert response.status_code == 200, response.text
    assert [hit["id"] for hit in response.json()["hits"]] == ["short"]
