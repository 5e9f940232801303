"""The vector index (embeddings/index.py) behind /-/semantic-search: scores are cosine similarities of the stored
vectors, best first, and the index is decoded again once the collection changes. Found by an outside tester's
mutation run (session 53), each passing the suite:
- a stored vector of zeros (a model's answer for an empty text, or a store written by another tool) divided by its
  norm of 0 made NaN scores: hits in no order and scores JSON cannot carry;
- an in-memory database has no file to stamp (file_stamp None): kept as "unchanged" it served the hits of the
  collection as first read for the server's life.

Oracle: a brute-force cosine over the stored vectors (as llm decodes them), through real Datasette and SQLite.
"""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest
from datasette.app import Datasette
from search_helpers import DIMENSIONS, make_table, unpack, use_fake_model

from datasette_llm.embeddings import embed_table


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


WORDS = ["apple", "banana", "cherry", "dolphin", "eagle", "falcon", "giraffe", "harbor", "island", "jungle"]


def brute_force(conn, query) -> list[tuple[str, float]]:
    rows = conn.execute("select id, embedding from embeddings").fetchall()
    q = np.asarray(query, dtype=np.float64)
    q = q / np.linalg.norm(q)
    scored = []
    for id_, blob in rows:
        v = np.asarray(unpack(blob), dtype=np.float64)
        norm = np.linalg.norm(v)
        scored.append((id_, float(v @ q / norm) if norm else 0.0))
    return sorted(scored, key=lambda item: -item[1])


@pytest.mark.asyncio
async def test_a_vector_of_zeros_scores_zero_and_the_others_keep_their_order(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"{WORDS[i]} {WORDS[(i * 3) % 10]}"} for i in range(10)])
    embed_table(str(path), "docs", model=fake_model)
    with sqlite3.connect(path) as conn:
        conn.execute("update embeddings set embedding = ? where id = '4'", (bytes(4 * DIMENSIONS),))
    conn.close()
    ds = Datasette([str(path)])
    response = await ds.client.get(
        "/-/semantic-search", params={"q": "apple dolphin", "database": "data", "mode": "semantic", "limit": 10}
    )
    assert response.status_code == 200, response.text
    data = json.loads(response.text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    scores = [hit["score"] for hit in data["hits"]]
    assert all(math.isfinite(score) for score in scores) and scores == sorted(scores, reverse=True)
    with sqlite3.connect(path) as conn:
        expected = brute_force(conn, fake_model.embed(["apple dolphin"])[0])
    conn.close()
    assert [hit["id"] for hit in data["hits"]] == [id_ for id_, _ in expected]
    assert scores == pytest.approx([score for _, score in expected], abs=1e-5)
    assert {hit["id"]: hit["score"] for hit in data["hits"]}["4"] == 0


@pytest.mark.asyncio
async def test_an_in_memory_databases_collection_is_read_again_after_it_changes(tmp_path, fake_model):
    ds = Datasette([])
    db = ds.add_memory_database("notes_mem_53")
    conn = sqlite3.connect("file:notes_mem_53?mode=memory&cache=shared", uri=True)  # the database Datasette serves
    try:
        conn.execute("create table docs (id integer primary key, body text)")
        conn.executemany("insert into docs values (?, ?)", [(i, f"{WORDS[i]} words") for i in range(5)])
        conn.commit()
        embed_table(conn, "docs", model=fake_model)
        url = "/-/semantic-search"
        params = {"q": "zebra walrus", "database": db.name, "table": "docs", "mode": "semantic", "limit": 1}
        first = await ds.client.get(url, params=params)
        assert first.status_code == 200, first.text
        assert first.json()["hits"][0]["id"] != "99"
        conn.execute("insert into docs values (99, 'zebra walrus')")
        conn.commit()
        embed_table(conn, "docs", model=fake_model)
        again = (await ds.client.get(url, params=params)).json()
        assert again["hits"][0]["id"] == "99" and again["hits"][0]["row"] == {"id": 99, "body": "zebra walrus"}
        assert again["hits"][0]["score"] == pytest.approx(1.0, abs=1e-5)
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_a_collection_rebuilt_long_after_its_last_stamp_is_read_again(tmp_path, fake_model):
    """The index is decoded again when the collection's signature moved (count, max rowid, stamps), not only within
    the second of its newest stamp: a rebuild a day later served the old hits."""
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"{WORDS[i]} words"} for i in range(5)])
    embed_table(str(path), "docs", model=fake_model)
    with sqlite3.connect(path) as conn:
        conn.execute("update embeddings set updated = updated - 86400")  # built a day ago
    conn.close()
    ds = Datasette([str(path)])
    params = {"q": "zebra walrus", "database": "data", "table": "docs", "mode": "semantic", "limit": 1}
    first = await ds.client.get("/-/semantic-search", params=params)
    assert first.status_code == 200 and first.json()["hits"][0]["id"] != "99", first.text
    with sqlite3.connect(path) as conn:
        conn.execute("insert into docs values (99, 'zebra walrus')")
    conn.close()
    embed_table(str(path), "docs", model=fake_model)
    again = (await ds.client.get("/-/semantic-search", params=params)).json()
    assert again["hits"][0]["id"] == "99" and again["hits"][0]["row"] == {"id": 99, "body": "zebra walrus"}


def _vector_of(fake_model, text: str) -> bytes:
    return np.asarray(fake_model.embed([text])[0], dtype="<f4").tobytes()


@pytest.mark.asyncio
async def test_a_vector_replaced_within_the_second_of_its_stamp_is_read_again(tmp_path, fake_model):
    """llm stamps `updated` in whole seconds and replaces a vector in place (sqlite-utils' upsert keeps the rowid):
    a row embedded again within the second of the newest stamp leaves every aggregate of the signature as it was,
    so an index read within that second is decoded again after the next write (index.unsettled; session 38)."""
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"{WORDS[i]} words"} for i in range(5)])
    embed_table(str(path), "docs", model=fake_model)
    ds = Datasette([str(path)])
    params = {"q": "zebra walrus", "database": "data", "table": "docs", "mode": "semantic", "limit": 1}
    import time

    with sqlite3.connect(path) as conn:
        conn.execute("update embeddings set updated = ?", (int(time.time()),))  # stamped this second
    conn.close()
    first = (await ds.client.get("/-/semantic-search", params=params)).json()
    assert first["hits"][0]["id"] != "3"
    with sqlite3.connect(path) as conn:  # row 3 embedded again in place, its stamp and rowid kept
        conn.execute("update docs set body = 'zebra walrus' where id = 3")
        conn.execute("update embeddings set embedding = ? where id = '3'", (_vector_of(fake_model, "zebra walrus"),))
    conn.close()
    again = (await ds.client.get("/-/semantic-search", params=params)).json()
    assert again["hits"][0]["id"] == "3" and again["hits"][0]["score"] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.asyncio
async def test_a_write_that_stays_in_the_wal_is_seen(tmp_path, fake_model):
    """In WAL mode a write lands in the -wal file and the database file keeps its size and time until a
    checkpoint: the freshness stamp holds both files, so a rebuild is seen at once."""
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"{WORDS[i]} words"} for i in range(5)])
    embed_table(str(path), "docs", model=fake_model)
    with sqlite3.connect(path) as conn:
        conn.execute("pragma journal_mode = wal")
        conn.execute("update embeddings set updated = updated - 86400")
    conn.close()
    ds = Datasette([str(path)])
    params = {"q": "zebra walrus", "database": "data", "table": "docs", "mode": "semantic", "limit": 1}
    first = (await ds.client.get("/-/semantic-search", params=params)).json()
    assert first["hits"][0]["id"] != "99"
    held = sqlite3.connect(path)  # an open reader: no checkpoint folds the WAL into the file on close
    try:
        held.execute("select count(*) from docs").fetchone()
        size = path.stat().st_size
        with sqlite3.connect(path) as conn:
            conn.execute("insert into docs values (99, 'zebra walrus')")
        conn.close()
        embed_table(str(path), "docs", model=fake_model)
        assert path.stat().st_size == size and (tmp_path / "data.db-wal").stat().st_size > 0
        again = (await ds.client.get("/-/semantic-search", params=params)).json()
        assert again["hits"][0]["id"] == "99"
    finally:
        held.close()


@pytest.mark.asyncio
async def test_a_write_that_keeps_the_files_time_but_not_its_size_is_seen(tmp_path, fake_model):
    """The stamp is the file's time and size: on a file system whose times are coarse (seconds, or two on FAT), a
    rebuild within the same tick keeps the time; its size still moved (here the time is set back by hand)."""
    import os

    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"{WORDS[i]} words"} for i in range(5)])
    embed_table(str(path), "docs", model=fake_model)
    with sqlite3.connect(path) as conn:
        conn.execute("update embeddings set updated = updated - 86400")
    conn.close()
    ds = Datasette([str(path)])
    params = {"q": "zebra walrus", "database": "data", "table": "docs", "mode": "semantic", "limit": 1}
    assert (await ds.client.get("/-/semantic-search", params=params)).json()["hits"][0]["id"] != "99"
    before = path.stat()
    with sqlite3.connect(path) as conn:
        conn.execute("insert into docs values (99, 'zebra walrus')")
        conn.execute("create table padding (x)")  # the file grows by a page at least
    conn.close()
    embed_table(str(path), "docs", model=fake_model)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size != before.st_size
    again = (await ds.client.get("/-/semantic-search", params=params)).json()
    assert again["hits"][0]["id"] == "99"


@pytest.mark.asyncio
async def test_the_vectors_of_queries_are_kept_only_so_many(tmp_path, fake_model, monkeypatch):
    """Query vectors are kept in an LRU of `size` (512) entries: anyone may search, and a cache that kept every
    distinct query's vector grew with each one (384 floats, 1.5 KB, a query of a real model)."""
    from datasette_llm.embeddings import QUERY_EMBEDDINGS

    monkeypatch.setattr(QUERY_EMBEDDINGS, "size", 5)
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"{WORDS[i]} words"} for i in range(5)])
    embed_table(str(path), "docs", model=fake_model)
    ds = Datasette([str(path)])
    for n in range(12):
        response = await ds.client.get(
            "/-/semantic-search", params={"q": f"query number {n}", "database": "data", "mode": "semantic"}
        )
        assert response.status_code == 200, response.text
    assert len(QUERY_EMBEDDINGS._items) == 5
