"""A query vector whose length matches no stored vector (the model was changed, or its server answered with another
model) is forgotten for a signed-in asker, whose vectors are otherwise kept: once the model is right again, the
same search embeds the query again and succeeds, instead of failing from the cache until 512 other queries push the
bad vector out."""

import numpy as np
import pytest
from datasette.app import Datasette
from search_helpers import actor_cookies, make_table, use_fake_model

from datasette_llm.embeddings import embed_table


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.asyncio
async def test_the_same_query_is_embedded_again_after_a_length_mismatch(tmp_path, fake_model, monkeypatch):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "walrus ice"}, {"id": 2, "body": "mango river"}])
    embed_table(str(path), "docs", model=fake_model)
    real = type(fake_model)._embed
    monkeypatch.setattr(fake_model, "_embed", lambda texts: real(fake_model, texts)[:, :32])  # a 32-number model
    ds = Datasette([str(path)])
    cookies = actor_cookies(ds, {"id": "alice"})  # a signed-in asker's query vectors are kept between requests
    params = {"q": "walrus ice", "database": "data", "table": "docs", "mode": "semantic", "limit": 1}
    wrong = await ds.client.get("/-/semantic-search", params=params, cookies=cookies)
    assert wrong.status_code == 409, wrong.text
    monkeypatch.setattr(fake_model, "_embed", lambda texts: real(fake_model, texts))  # the right model again
    right = await ds.client.get("/-/semantic-search", params=params, cookies=cookies)
    assert right.status_code == 200, right.text
    assert right.json()["hits"][0]["id"] == "1"
    assert np.isfinite(right.json()["hits"][0]["score"])
