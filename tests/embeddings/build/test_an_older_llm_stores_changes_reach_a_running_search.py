"""A collection in an older llm's store has no `updated` column: what tells a running server that it changed is the
count of vectors and the newest rowid (`insert or replace` moves it; a delete lowers the count). A vector replaced,
or one deleted whose row is still in its table, is searched as it is now, without a restart."""

import sqlite3

import numpy as np
import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model, word_vector

from datasette_llm.embeddings import encode

TEXTS = {"1": "walrus ice", "2": "mango river", "3": "quartz canyon"}


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def unit(text):
    vector = word_vector(text)
    return encode(vector / np.linalg.norm(vector))


def older_store(path):
    make_table(path, "docs", [{"id": int(i), "body": t} for i, t in TEXTS.items()])
    with sqlite3.connect(path) as conn:
        conn.execute("create table collections (id integer primary key, name text, model text)")
        conn.execute(
            "create table embeddings (collection_id integer, id text, embedding blob, content text, "
            "metadata text, primary key (collection_id, id))"
        )
        conn.execute("insert into collections values (1, 'docs', 'fake-bow')")
        conn.executemany(
            "insert into embeddings (collection_id, id, embedding) values (1, ?, ?)",
            [(i, unit(t)) for i, t in TEXTS.items()],
        )
    conn.close()


async def ids(ds, q):
    response = await ds.client.get(
        "/-/semantic-search", params={"q": q, "database": "data", "table": "docs", "mode": "semantic", "limit": 3}
    )
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


@pytest.mark.asyncio
async def test_a_replaced_vector_is_searched(tmp_path, fake_model):
    path = tmp_path / "data.db"
    older_store(path)
    ds = Datasette([str(path)])
    assert (await ids(ds, "walrus ice"))[0] == "1"
    with sqlite3.connect(path) as conn:  # llm's older `embed`: insert or replace, a new rowid, no stamp
        conn.execute("update docs set body = 'orchid falcon' where id = 2")
        conn.execute(
            "insert or replace into embeddings (collection_id, id, embedding) values (1, '2', ?)",
            [unit("orchid falcon")],
        )
    conn.close()
    assert (await ids(ds, "orchid falcon"))[0] == "2"


@pytest.mark.asyncio
async def test_a_deleted_vector_is_not_searched(tmp_path, fake_model):
    path = tmp_path / "data.db"
    older_store(path)
    ds = Datasette([str(path)])
    assert "1" in await ids(ds, "walrus ice")
    with sqlite3.connect(path) as conn:  # not the newest rowid: only the count moves
        conn.execute("delete from embeddings where id = '1'")
    conn.close()
    assert "1" not in await ids(ds, "walrus ice")
