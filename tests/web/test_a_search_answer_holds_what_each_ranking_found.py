"""What /-/semantic-search answers (embeddings/search.py, results.py): each hit's `semantic_score` is the cosine
similarity of its stored vector to the query, in every mode (docs: "cosine similarity, when the vector ranking found
it"), while `score` is the mode's own (fused for hybrid); and a query is refused past `max_question_chars`, not one
character later. Found by an outside tester's mutation run (session 53): the fused score in place of the cosine, and
the length check moved by one, both passed the suite.

Oracle: a brute-force cosine over the stored vectors (as llm decodes them), and the documented limit.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from datasette.app import Datasette
from search_helpers import make_table, unpack, use_fake_model

from datasette_llm.embeddings import embed_table, enable_fts


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


WORDS = ["apple", "banana", "cherry", "dolphin", "eagle", "falcon", "giraffe", "harbor", "island", "jungle"]


@pytest.fixture
def data_db(tmp_path, fake_model):
    path = tmp_path / "data.db"
    rows = [{"id": i, "body": f"{WORDS[i % 10]} {WORDS[(i * 3) % 10]} {WORDS[(i * 7) % 10]}"} for i in range(30)]
    make_table(path, "docs", rows)
    embed_table(str(path), "docs", model=fake_model)
    enable_fts(str(path), "docs")
    return path


def cosines(path, query) -> dict[str, float]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select id, embedding from embeddings").fetchall()
    conn.close()
    q = np.asarray(query, dtype=np.float64)
    q = q / np.linalg.norm(q)
    return {id_: float(np.asarray(unpack(blob)) @ q / np.linalg.norm(unpack(blob))) for id_, blob in rows}


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
async def test_each_hits_semantic_score_is_its_cosine(data_db, fake_model, mode):
    ds = Datasette([str(data_db)])
    q = "apple dolphin harbor"
    response = await ds.client.get(
        "/-/semantic-search", params={"q": q, "database": "data", "table": "docs", "mode": mode, "limit": 20}
    )
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    expected = cosines(data_db, fake_model.embed([q])[0])
    with_cosine = [hit for hit in hits if hit["semantic_rank"] is not None]
    assert len(with_cosine) == len(hits) == 20
    for hit in with_cosine:
        assert hit["semantic_score"] == pytest.approx(expected[hit["id"]], abs=1e-5), hit
    if mode == "semantic":
        assert [hit["score"] for hit in hits] == [hit["semantic_score"] for hit in hits]
    else:  # fused: min-max scaled shares, from 0 to 1, not cosines
        assert any(hit["score"] != pytest.approx(hit["semantic_score"], abs=1e-3) for hit in hits)


@pytest.mark.asyncio
async def test_a_query_of_the_limits_length_is_searched_and_one_character_more_is_refused(data_db):
    ds = Datasette([str(data_db)], metadata={"plugins": {"datasette-llm": {"max_question_chars": 50}}})
    at_limit = "apple " * 8 + "ba"  # 50 characters
    assert len(at_limit) == 50
    ok = await ds.client.get("/-/semantic-search", params={"q": at_limit, "database": "data", "mode": "semantic"})
    assert ok.status_code == 200, ok.text
    over = await ds.client.get("/-/semantic-search", params={"q": at_limit + "n", "database": "data"})
    assert over.status_code == 400 and "the limit is 50" in over.json()["error"], over.text


@pytest.mark.asyncio
async def test_a_database_locked_by_a_writer_is_a_503_to_retry_not_a_server_error(data_db):
    """A writer holding the file (a build committing) makes a search fail: retryable, a 503 with Retry-After and
    the code search_unavailable (search.SearchUnavailable), never a 500 (the mutation run: catching only
    QueryInterrupted passed the suite, the sqlite3 errors then 500s)."""
    ds = Datasette([str(data_db)])
    params = {"q": "apple", "database": "data", "mode": "semantic"}
    assert (await ds.client.get("/-/semantic-search", params=params)).status_code == 200
    writer = sqlite3.connect(data_db, isolation_level=None)
    try:
        writer.execute("begin exclusive")
        writer.execute("insert into docs (id, body) values (999, 'held')")
        response = await ds.client.get("/-/semantic-search", params={**params, "q": "apple dolphin"})
    finally:
        writer.execute("rollback")
        writer.close()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2" and response.json()["code"] == "search_unavailable"
