"""Embeddings from OpenAI or any OpenAI-compatible server (Ollama, llama.cpp server, vLLM), each response checked
before a vector is cached."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from .base import EmbeddingModel, ModelStatus
from .http_client import HttpFailure, ModelHttp
from .openai import make_http, translate_error

KNOWN_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
# Embeddings have at most MAX_DIMENSIONS numbers of at most NUMBER_BYTES in JSON.
MAX_DIMENSIONS = 16384
NUMBER_BYTES = 32


class OpenAIEmbeddingModel(EmbeddingModel):
    backend = "openai"

    def __init__(
        self,
        name: str,
        model_id: str,
        *,
        base_url: str | None,
        api_key: str | None,
        dimensions: int | None = None,
        **kwargs,
    ):
        super().__init__(name, **kwargs)
        self.model_id = model_id
        self.base_url = base_url
        self.api_key = api_key
        self._dimensions = dimensions or KNOWN_DIMENSIONS.get(model_id)
        self._http: ModelHttp | None = None

    @property
    def dimensions(self) -> int:
        if self._dimensions is None:
            self._dimensions = int(self._embed(["dimension probe"]).shape[1])
        return self._dimensions

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._http is None:
            self._http = make_http(self.base_url, self.api_key)
        deadline = time.monotonic() + self.timeout
        max_bytes = 64 * 1024 + len(texts) * MAX_DIMENSIONS * NUMBER_BYTES
        try:
            body = self._http.post_json(
                "/embeddings", {"model": self.model_id, "input": list(texts)}, deadline=deadline, max_bytes=max_bytes
            )
            return embedding_matrix(body, len(texts))
        except HttpFailure as failure:
            raise translate_error(failure, self.model_id, self.base_url) from None

    def status(self) -> ModelStatus:
        try:
            self._embed(["ping"])
            return ModelStatus(self.name, self.backend, "embedding", True, "reachable", None)
        except Exception as error:
            return ModelStatus(self.name, self.backend, "embedding", False, getattr(error, "message", str(error)))


def embedding_matrix(body, count: int) -> np.ndarray:
    """`count` vectors from an embeddings response, checked: one list of finite numbers per text, in the order of
    the texts, all of one length up to MAX_DIMENSIONS (a bad vector would be cached and spoil later searches)."""
    try:
        items = body["data"]
        if not isinstance(items, list) or len(items) != count:
            raise HttpFailure(
                "not_json", f"it sent {len(items) if isinstance(items, list) else 'no'} vectors for {count} texts"
            )
        if all(isinstance(item.get("index"), int) for item in items):
            items = sorted(items, key=lambda item: item["index"])
        rows = [item["embedding"] for item in items]
    except (KeyError, TypeError, AttributeError):
        raise HttpFailure("not_json", "its response has no data[].embedding") from None
    if not all(isinstance(row, list) and 0 < len(row) <= MAX_DIMENSIONS and len(row) == len(rows[0]) for row in rows):
        raise HttpFailure("not_json", "its vectors are not lists of numbers of one length")
    try:
        matrix = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise HttpFailure("not_json", "its vectors hold values that are not numbers") from None
    if matrix.ndim != 2 or not np.isfinite(matrix).all():
        raise HttpFailure("not_json", "its vectors hold values that are not finite numbers")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if not norms.all():
        raise HttpFailure("not_json", "it sent a vector of zeros, which matches nothing")
    # Made unit length here, in float64: 1e30 or 1e-25 times a vector overflowed or vanished in float32 (a second
    # outside attacker), and a vector of zeros or infinities was cached.
    return (matrix / norms).astype(np.float32)
