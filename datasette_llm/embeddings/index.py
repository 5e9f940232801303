"""A collection decoded once into a normalised NumPy matrix, cached until the collection changes.

Scoring a query is then one matrix-vector product and an argpartition: about 15 ms for 100k x 384 on two
cores, where decoding every BLOB per query in Python (how `llm similar` works) takes seconds.

Freshness: for file databases the cheap check is the file's (and WAL's) mtime and size; only when that moved
do we ask SQLite for the collection's signature (count, max rowid, max updated) and reload on a change.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .store import StoreTables, collection_signature, read_vectors


class VectorIndex:
    """Ids and L2-normalised vectors of one collection; `top_k` returns the best (id, cosine) pairs."""

    def __init__(self, ids: list[str], matrix: np.ndarray):
        self.ids = ids
        self.matrix = _normalise_rows(matrix)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dimensions(self) -> int:
        return self.matrix.shape[1] if self.matrix.ndim == 2 else 0

    @classmethod
    def load(cls, conn: sqlite3.Connection, tables: StoreTables, collection_id: int) -> VectorIndex:
        ids, matrix = read_vectors(conn, tables, collection_id)
        return cls(ids, matrix)

    def scores(self, query: np.ndarray) -> np.ndarray:
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(query))
        return self.matrix @ (query / norm if norm else query)

    def top_k(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k most similar ids by cosine similarity, best first."""
        n = len(self.ids)
        k = min(k, n)
        if k <= 0:
            return []
        scores = self.scores(query)
        if k < n:
            best = np.argpartition(-scores, k - 1)[:k]
        else:
            best = np.arange(n)
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in best]


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Divide each row by its norm in place, a block at a time (no second full-size temporary)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if not matrix.flags.writeable:
        matrix = matrix.copy()
    for start in range(0, len(matrix), 65536):
        block = matrix[start : start + 65536]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        block /= norms
    return matrix


@dataclass
class _Entry:
    stamp: tuple | None
    signature: tuple
    index: VectorIndex
    unsettled: bool = False  # read within a second of the newest stamp: decoded again after the next write


def unsettled(signature: tuple, now: float | None = None) -> bool:
    """Whether a signature read now may miss a later write. llm stamps `updated` in whole seconds: a row embedded
    again within the second of its previous stamp keeps every aggregate the signature holds (an outside tester,
    session 38: llm's `embed` run twice in one second left a server ranking by the old text). A signature read
    after the second of its newest stamp has passed sees any later write in a stamp above it (a second of margin
    for clocks that step)."""
    newest = signature[2] if len(signature) > 2 else None
    if not isinstance(newest, (int, float)) or not newest:
        return False
    return int(time.time() if now is None else now) <= newest + 1


class IndexCache:
    """Per-database cache of decoded collections, keyed by (table prefix, collection id), least recently used
    dropped first once more than `max_collections` are held."""

    def __init__(self, max_collections: int = 16):
        self.max_collections = max_collections
        # Database -> (entries, locks): both go away with the Database object.
        self._by_database: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.loads = 0  # how many times a matrix was (re)decoded; tests and benchmarks read it

    def _state(self, db) -> tuple[OrderedDict, dict]:
        state = self._by_database.get(db)
        if state is None:
            state = self._by_database[db] = (OrderedDict(), {})
        return state

    async def get(self, db, tables: StoreTables, collection_id: int) -> VectorIndex:
        """The collection's index from a Datasette Database, decoded again only after it changed."""
        key = (tables.prefix, collection_id)
        entries, locks = self._state(db)
        lock = locks.setdefault(key, asyncio.Lock())
        async with lock:
            stamp = file_stamp(db)
            entry = entries.get(key)
            if entry is not None and stamp is not None and entry.stamp == stamp:
                entries.move_to_end(key)
                return entry.index
            signature = await db.execute_fn(lambda conn: collection_signature(conn, tables, collection_id))
            if entry is None or entry.signature != signature or entry.unsettled:
                index = await db.execute_fn(lambda conn: VectorIndex.load(conn, tables, collection_id))
                self.loads += 1
                entry = _Entry(stamp, signature, index)
            entry.unsettled = unsettled(signature)
            entry.stamp = stamp
            entries[key] = entry
            entries.move_to_end(key)
            while len(entries) > self.max_collections:
                entries.popitem(last=False)
            return entry.index

    def clear(self) -> None:
        self._by_database = weakref.WeakKeyDictionary()


def file_stamp(db) -> tuple | None:
    """(mtime, size) of a file database and its WAL; None for in-memory databases (always re-checked)."""
    path = getattr(db, "path", None)
    if not path or getattr(db, "is_memory", False):
        return None
    stamp = []
    for name in (path, path + "-wal"):
        try:
            info = os.stat(name)
        except OSError:
            stamp.append(None)
            continue
        stamp.append((info.st_mtime_ns, info.st_size))
    return tuple(stamp)


class QueryEmbeddings:
    """LRU cache of query vectors: the same question from the page, the API and `ask` is embedded once, per asker
    (models/reply_cache.cache_owner). Shared by everyone, a vector served at once told an anonymous visitor, by the
    search's `embed_query` timing or its speed, that someone had asked or searched exactly this text before (an
    outside tester, session 38: 0.64 s embedding a text nobody had used, 0.0 after an admin's question)."""

    def __init__(self, size: int = 512):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    @staticmethod
    def _key(model, text: str) -> tuple:
        from ..models.reply_cache import cache_owner

        return (cache_owner(), model.name, id(model), text)

    async def get(self, model, text: str) -> np.ndarray:
        key = self._key(model, text)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        vector = (await model.aembed([text]))[0]
        with self._lock:
            self._items[key] = vector
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return vector

    def forget(self, model, text: str) -> None:
        """Drop a vector that proved unusable (dimensions that match no index): the next search embeds again,
        instead of failing until 512 other queries push it out (found by an outside attacker's model server)."""
        with self._lock:
            self._items.pop(self._key(model, text), None)


INDEXES = IndexCache()
QUERY_EMBEDDINGS = QueryEmbeddings()
