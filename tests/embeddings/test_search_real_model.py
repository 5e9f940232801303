"""The real default embedding model finds meaning, not words: "my happy puppy" -> "A fun-loving hound"."""

import pytest
from datasette.app import Datasette
from search_helpers import make_table

from datasette_llm.config import load_settings
from datasette_llm.embeddings import INDEXES, embed_table, enable_fts
from datasette_llm.models import embedding_model_for

SENTENCES = [
    "A fun-loving hound",
    "Quarterly revenue grew by ten percent",
    "My favourite happy hour starts at five",
    "A recipe for sourdough bread",
    "The stock market fell sharply on Monday",
    "The train was delayed by an hour",
    "She plays the violin beautifully",
]


def model_or_skip():
    model = embedding_model_for(load_settings())
    if not model.status().ready:
        pytest.skip(f"default embedding model missing: {model.status().detail} (run setup-scripts/models.sh)")
    return model


@pytest.mark.asyncio
async def test_my_happy_puppy_finds_the_fun_loving_hound(tmp_path):
    model = model_or_skip()
    path = tmp_path / "pets.db"
    make_table(path, "sentences", [{"id": i, "text": text} for i, text in enumerate(SENTENCES, 1)])
    enable_fts(str(path), "sentences")
    summary = embed_table(str(path), "sentences", model=model)
    assert summary.model == "all-MiniLM-L6-v2" and summary.embedded == len(SENTENCES)
    INDEXES.clear()
    ds = Datasette([str(path)])
    semantic = (await ds.client.get("/-/semantic-search?q=my+happy+puppy&mode=semantic")).json()
    assert semantic["model"] == "all-MiniLM-L6-v2"
    assert semantic["hits"][0]["row"]["text"] == "A fun-loving hound"
    # No word in common, so keyword search finds the wrong sentence; hybrid keeps the meaning on top.
    keyword = (await ds.client.get("/-/semantic-search?q=my+happy+puppy&mode=keyword")).json()
    assert [hit["row"]["text"] for hit in keyword["hits"]] == ["My favourite happy hour starts at five"]
    hybrid = (await ds.client.get("/-/semantic-search?q=my+happy+puppy&mode=hybrid&limit=3")).json()
    assert "A fun-loving hound" in [hit["row"]["text"] for hit in hybrid["hits"][:2]]
