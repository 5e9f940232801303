"""llm's own `embed` upserts a row's vector in place (same rowid) and stamps `updated` with the current second, which
need not be above the collection's newest stamp (a clock stepped back, or a stamp llm wrote from another machine).
Count, newest rowid and newest stamp are then all unchanged: the sum of stamps is what tells a running server that
the collection changed (store.collection_signature), so its next search ranks by the new vector."""

import sqlite3
import time

import numpy as np
import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model, word_vector

from datasette_llm.embeddings import embed_table, encode


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


async def best(ds, q):
    response = await ds.client.get(
        "/-/semantic-search", params={"q": q, "database": "data", "table": "docs", "mode": "semantic", "limit": 1}
    )
    assert response.status_code == 200, response.text
    return response.json()["hits"][0]["id"]


@pytest.mark.asyncio
async def test_an_in_place_upsert_with_an_older_stamp_is_seen(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(
        path, "docs", [{"id": 1, "body": "walrus ice"}, {"id": 2, "body": "mango river"}, {"id": 3, "body": "quartz"}]
    )
    embed_table(str(path), "docs", model=fake_model)
    now = int(time.time())
    with sqlite3.connect(path) as conn:  # stamps from long ago; row 3 newest
        conn.execute("update embeddings set updated = ? where id in ('1', '2')", [now - 300])
        conn.execute("update embeddings set updated = ? where id = '3'", [now - 100])
    conn.close()
    ds = Datasette([str(path)])
    first = await best(ds, "orchid falcon")
    changed = "1" if first != "1" else "2"  # a row that is not already the best hit
    vector = word_vector("orchid falcon")
    vector /= np.linalg.norm(vector)
    with sqlite3.connect(path) as conn:  # as llm's upsert: in place, stamped below the newest
        before = conn.execute("select count(*), max(rowid), max(updated) from embeddings").fetchone()
        conn.execute("update docs set body = 'orchid falcon' where id = ?", [int(changed)])
        conn.execute(
            "update embeddings set embedding = ?, updated = ? where id = ?", [encode(vector), now - 200, changed]
        )
        assert conn.execute("select count(*), max(rowid), max(updated) from embeddings").fetchone() == before
    conn.close()
    assert await best(ds, "orchid falcon") == changed
