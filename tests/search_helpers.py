"""Shared helpers for the embeddings and search tests (import explicitly: `from search_helpers import ...`)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import struct
from collections.abc import Sequence

import numpy as np
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm

from datasette_llm.embeddings import INDEXES, QUERY_EMBEDDINGS, hidden_tables_metadata
from datasette_llm.models.base import EmbeddingModel, ModelStatus

DIMENSIONS = 64
# llm's embeddings table as sqlite-utils creates it (llm's migrations), for stores a test builds the way llm does.
LLM_EMBEDDINGS_COLUMNS = {
    "collection_id": int,
    "id": str,
    "embedding": bytes,
    "content": str,
    "content_blob": bytes,
    "content_hash": bytes,
    "metadata": str,
    "updated": int,
}


class FakeEmbeddingModel(EmbeddingModel):
    """Deterministic bag-of-words vectors: texts sharing words are close. Fast, no weights needed."""

    backend = "fake"

    def __init__(self, name: str = "fake-bow"):
        super().__init__(name)
        self.calls = 0
        self.texts_embedded = 0

    @property
    def dimensions(self) -> int:
        return DIMENSIONS

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        return np.vstack([word_vector(text) for text in texts])

    def status(self) -> ModelStatus:
        return ModelStatus(self.name, self.backend, "embedding", True, "fake")


def word_vector(text: str) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    for word in re.findall(r"\w+", text.lower()):
        seed = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little")
        vector += np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
    return vector if vector.any() else np.ones(DIMENSIONS, dtype=np.float32)


def unpack(blob: bytes) -> tuple[float, ...]:
    """How llm decodes a stored vector."""
    return struct.unpack("<" + "f" * (len(blob) // 4), blob)


def make_table(path, table: str, rows: list[dict], pk="id") -> None:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db[table].insert_all(rows, pk=pk)
    db.close()


def actor_cookies(ds: Datasette, actor: dict | None) -> dict:
    return {"ds_actor": ds.sign({"a": actor}, "actor")} if actor else {}


class _HiddenTablesPlugin:
    """Stands in for the `get_metadata` hook the lead adds to datasette_llm/__init__.py."""

    __name__ = "datasette_llm_hidden_tables_for_tests"

    @staticmethod
    @hookimpl
    def get_metadata(datasette, key, database, table):
        return hidden_tables_metadata(datasette, key, database, table)


def use_fake_model(monkeypatch):
    """Fixture body: every embedding model lookup (build, CLI, search) returns one FakeEmbeddingModel.

    Test modules wrap it: `@pytest.fixture` / `def fake_model(monkeypatch): yield from use_fake_model(...)`.
    """
    from datasette_llm import models
    from datasette_llm.embeddings import semantic_ranking

    model = FakeEmbeddingModel()
    monkeypatch.setattr(models, "embedding_model_for", lambda settings, spec=None: model)
    monkeypatch.setattr(semantic_ranking, "embedding_model_for", lambda settings, spec=None: model)
    INDEXES.clear()
    QUERY_EMBEDDINGS._items.clear()
    yield model
    INDEXES.clear()
    QUERY_EMBEDDINGS._items.clear()


def use_hidden_tables_hook():
    """Fixture body: registers the get_metadata hook for the duration of a test."""
    from datasette_llm.embeddings import hidden

    plugin = _HiddenTablesPlugin()
    registered = pm.get_plugin(plugin.__name__) is None and pm.register(plugin, name=plugin.__name__)
    hidden._cache.clear()
    yield
    if registered and pm.get_plugin(plugin.__name__) is not None:
        pm.unregister(name=plugin.__name__)


def columns_of(path, table: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute(f"pragma table_info([{table}])")]
