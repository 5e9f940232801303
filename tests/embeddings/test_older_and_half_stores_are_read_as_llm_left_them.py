"""What is read as embeddings storage, and what is not.

- A store in an older llm layout (before `updated`, `content_hash` and `content_blob` were added) is still served: its
  hits are the brute-force cosine ranking of its stored vectors, read back with plain sqlite3 and NumPy.
- Half a store (only `collections`, or only `embeddings`, each with llm's columns) is no store: a search answers as
  over a database without one (no hits, no note), and `datasette llm embed` refuses with the reason (which table
  is there, which is missing) and leaves the file's schema as it was (read with plain sqlite3).

Generated: the older layouts, their row counts and vectors, the half stores' sides and table prefixes."""

import random
import sqlite3
import struct

import numpy as np
import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette
from search_helpers import LLM_EMBEDDINGS_COLUMNS, make_table, use_fake_model, word_vector

from datasette_llm.cli import llm

WORDS = "apple pear plum fig kiwi lime date sloe".split()
OLD_LAYOUTS = {
    "m001": {"collection_id": int, "id": str, "embedding": bytes, "content": str, "metadata": str},
    "m003": {"collection_id": int, "id": str, "embedding": bytes, "content": str, "metadata": str, "updated": int},
}


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def texts(rng, n):
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) for _ in range(n)]


@pytest.mark.asyncio
@pytest.mark.parametrize("layout", sorted(OLD_LAYOUTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_an_older_llm_layout_is_searched(tmp_path, fake_model, layout, seed):
    rng = random.Random(seed)
    path = str(tmp_path / "data.db")
    rows = [{"id": i, "text": t} for i, t in enumerate(texts(rng, rng.randint(3, 12)), 1)]
    make_table(path, "docs", rows)
    db = sqlite_utils.Database(path)
    db["collections"].create({"id": int, "name": str, "model": str}, pk="id")
    db["collections"].create_index(["name"], unique=True)
    db["embeddings"].create(OLD_LAYOUTS[layout], pk=("collection_id", "id"))
    db["collections"].insert({"id": 1, "name": "docs", "model": fake_model.name})
    for row in rows:
        vector = word_vector(row["text"])
        record = {"collection_id": 1, "id": str(row["id"]), "embedding": struct.pack("<" + "f" * len(vector), *vector)}
        if "updated" in OLD_LAYOUTS[layout]:
            record["updated"] = 1_600_000_000 + row["id"]
        db["embeddings"].insert(record)
    db.close()

    query = " ".join(rng.sample(WORDS, 2))
    # The oracle: every stored vector, read with sqlite3, ranked by cosine with the query's vector.
    with sqlite3.connect(path) as conn:
        stored = conn.execute("select id, embedding from embeddings where collection_id = 1").fetchall()
    q = word_vector(query).astype(np.float64)
    expected = sorted(
        (
            (
                float(np.frombuffer(blob, "<f4") @ q / np.linalg.norm(np.frombuffer(blob, "<f4")) / np.linalg.norm(q)),
                id_,
            )
            for id_, blob in stored
        ),
        key=lambda pair: -pair[0],
    )

    ds = Datasette([path])
    response = await ds.client.get(f"/-/semantic-search?q={query}&database=data&mode=semantic&limit=50")
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert [hit["semantic_score"] for hit in hits] == pytest.approx([score for score, _ in expected], abs=1e-5)
    assert {hit["id"] for hit in hits} == {id_ for _, id_ in expected}
    assert response.json()["notes"] == []


@pytest.mark.asyncio
@pytest.mark.parametrize("side", ["collections", "embeddings"])
@pytest.mark.parametrize("prefix", ["", "llm_", "zq_"])
async def test_half_a_store_is_no_store(tmp_path, fake_model, side, prefix):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", [{"id": i, "text": t} for i, t in enumerate(texts(random.Random(side), 5), 1)])
    db = sqlite_utils.Database(path)
    if side == "collections":
        db[prefix + "collections"].create({"id": int, "name": str, "model": str}, pk="id")
    else:
        db[prefix + "embeddings"].create(
            LLM_EMBEDDINGS_COLUMNS,
            pk=("collection_id", "id"),
        )
    db.close()

    def schema():
        with sqlite3.connect(path) as conn:
            return conn.execute("select type, name, sql from sqlite_master order by name").fetchall()

    before = schema()
    config = {"plugins": {"datasette-llm": {"table_prefix": prefix}}} if prefix else {}
    ds = Datasette([path], metadata=config)
    response = await ds.client.get("/-/semantic-search?q=apple&database=data&mode=semantic")
    assert response.status_code == 200, response.text
    assert response.json()["hits"] == [] and response.json()["notes"] == []

    args = ["embed", path, "docs"] + (["--table-prefix", prefix] if prefix else [])
    refused = CliRunner().invoke(llm, args)
    assert refused.exit_code == 1, refused.output
    assert "not embeddings storage" in refused.output and "left untouched" in refused.output
    other = "embeddings" if side == "collections" else "collections"
    assert f"has a table '{prefix}{side}' but no '{prefix}{other}'" in refused.output, refused.output
    assert "Traceback" not in refused.output
    assert schema() == before
