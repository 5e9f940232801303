"""A search of one table (`table=`) whose collection no model here can query is a 409 `model_mismatch` with the
reason, whatever the stored model's name or the stored vectors' length; searched among others (no `table=`), the
same collection is a note and the rest still answer 200.

Generated: collection model names this plugin cannot run, and vector lengths other than the query model's, both
written into llm's layout with plain sqlite3 (as llm's own `embed-multi` would have left them)."""

import random
import sqlite3
import struct

import pytest
from datasette.app import Datasette
from search_helpers import DIMENSIONS, make_table, use_fake_model

from datasette_llm.embeddings import embed_table

_rng = random.Random(52)
MODELS = ["sentence-transformers/all-mpnet-base-v2", "clip", "ada-002"] + [
    "".join(_rng.choice("abcdefgh-/") for _ in range(_rng.randint(3, 12))).strip("/") or "x" for _ in range(3)
]
LENGTHS = [1, 3, DIMENSIONS - 1, DIMENSIONS + 1, 2 * DIMENSIONS, _rng.randint(2, 300)]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def built(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "text": f"apple pear {i}"} for i in range(6)])
    make_table(path, "fine", [{"id": i, "text": f"apple plum {i}"} for i in range(6)])
    embed_table(str(path), "docs", model=fake_model)
    embed_table(str(path), "fine", model=fake_model)
    return path


async def assert_mismatch(path, fake_model):
    ds = Datasette([str(path)])
    one = await ds.client.get("/-/semantic-search?q=apple&database=data&table=docs&mode=semantic")
    assert one.status_code == 409, one.text
    body = one.json()
    assert body["ok"] is False and body["code"] == "model_mismatch" and body["status"] == 409
    # ...as the plugin's own OpenAPI spec says the route may answer (an outside tester, session 52: it did not).
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    assert "409" in spec["paths"]["/-/semantic-search"]["get"]["responses"]
    every = await ds.client.get("/-/semantic-search?q=apple&database=data&mode=semantic")
    assert every.status_code == 200, every.text
    assert {hit["table"] for hit in every.json()["hits"]} == {"fine"}
    assert any(note.startswith("data/docs:") for note in every.json()["notes"])


@pytest.mark.asyncio
@pytest.mark.parametrize("model", MODELS)
async def test_a_collection_of_a_model_no_one_here_runs(tmp_path, fake_model, model):
    path = built(tmp_path, fake_model)
    with sqlite3.connect(path) as conn:
        conn.execute("update collections set model = ? where name = 'docs'", [model])
        assert not model.startswith(("onnx:", "openai:")) and model != fake_model.name
    await assert_mismatch(path, fake_model)


@pytest.mark.asyncio
@pytest.mark.parametrize("length", LENGTHS)
async def test_a_collection_of_vectors_of_another_length(tmp_path, fake_model, length):
    path = built(tmp_path, fake_model)
    rng = random.Random(length)
    with sqlite3.connect(path) as conn:
        (cid,) = conn.execute("select id from collections where name = 'docs'").fetchone()
        for (row_id,) in conn.execute("select id from embeddings where collection_id = ?", [cid]).fetchall():
            vector = [rng.uniform(0.1, 1) for _ in range(length)]
            conn.execute(
                "update embeddings set embedding = ? where collection_id = ? and id = ?",
                [struct.pack("<" + "f" * length, *vector), cid, row_id],
            )
    await assert_mismatch(path, fake_model)
