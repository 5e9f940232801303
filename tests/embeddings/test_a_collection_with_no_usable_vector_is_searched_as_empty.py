"""A collection none of whose stored vectors is a float32 vector (text, NULL, empty, 6 bytes, longer than any
embedding), or that holds no rows at all, is searched as empty: the search answers 200, that collection gives no
hit, and the others' hits are the brute-force cosine ranking of their stored vectors (read with plain sqlite3).

Generated: which kinds of non-vectors, how many of each, over HTTP with and without `table=`."""

import random
import sqlite3

import numpy as np
import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model, word_vector

from datasette_llm.embeddings import embed_table

WORDS = "apple pear plum fig kiwi lime date sloe".split()
KINDS = {
    "text": lambda rng: "not a vector",
    "null": lambda rng: None,
    "empty": lambda rng: b"",
    "six": lambda rng: bytes(rng.randrange(256) for _ in range(6)),
    "odd": lambda rng: bytes(rng.randrange(256) for _ in range(4 * rng.randint(1, 8) + rng.randint(1, 3))),
    "huge": lambda rng: b"\x00\x00\x80\x3f" * (16_384 + rng.randint(1, 50)),
}
_rng = random.Random(52)
CASES = [()] + [tuple(_rng.sample(sorted(KINDS), _rng.randint(1, len(KINDS)))) for _ in range(7)]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.asyncio
@pytest.mark.parametrize("kinds", CASES, ids=lambda kinds: "+".join(kinds) or "no-rows")
async def test_no_usable_vector(tmp_path, fake_model, kinds):
    rng = random.Random("+".join(kinds))
    path = str(tmp_path / "data.db")
    text = lambda: " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))  # noqa: E731
    make_table(path, "good", [{"id": i, "text": text()} for i in range(1, 9)])
    make_table(path, "bad", [{"id": i, "text": text()} for i in range(1, 9)])
    embed_table(path, "good", model=fake_model)
    embed_table(path, "bad", model=fake_model)
    with sqlite3.connect(path) as conn:
        (bad,) = conn.execute("select id from collections where name = 'bad'").fetchone()
        conn.execute("delete from embeddings where collection_id = ?", [bad])
        for n, kind in enumerate(k for k in kinds for _ in range(rng.randint(1, 3))):
            conn.execute(
                "insert into embeddings (collection_id, id, embedding) values (?, ?, ?)",
                [bad, str(n + 1), KINDS[kind](rng)],
            )
        stored = conn.execute(
            "select e.id, e.embedding from embeddings e join collections c on c.id = e.collection_id "
            "where c.name = 'good'"
        ).fetchall()
    query = " ".join(rng.sample(WORDS, 2))
    q = word_vector(query).astype(np.float64)
    expected = sorted(
        (
            float(np.frombuffer(b, "<f4") @ q / np.linalg.norm(np.frombuffer(b, "<f4")) / np.linalg.norm(q))
            for _, b in stored
        ),
        reverse=True,
    )

    ds = Datasette([path])
    every = await ds.client.get(f"/-/semantic-search?q={query}&database=data&mode=semantic&limit=50")
    assert every.status_code == 200, every.text
    assert {hit["table"] for hit in every.json()["hits"]} == {"good"}
    assert [hit["semantic_score"] for hit in every.json()["hits"]] == pytest.approx(expected, abs=1e-5)
    one = await ds.client.get(f"/-/semantic-search?q={query}&database=data&table=bad&mode=semantic")
    assert one.status_code == 200, one.text
    assert one.json()["hits"] == []
