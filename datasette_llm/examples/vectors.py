"""The vectors of the trusted examples' questions: made once per example and embedding model, kept in the store.

The vectors of examples are made as they are added, in the request or command that adds them (vectors_on_adding):
made by the first question that needed them, they were made by whoever asked first, examples that asker may not see
included, and what that asker's request sent the embedding model depended on them (an outside tester's
noninterference oracle, session 42). Examples left without one (a model that failed, an earlier version's store)
get theirs when a question needs them, a batch at a time, each batch saved as soon as it is made, by one task per
store, database and model that every question needing them shares and none cancels by going away: an outside
tester (session 22) imported 1,000 examples of 2,000-character questions, and every question then embedded all of
them in one call, timed out after 60 s and saved none, so the next question started again. A question waits for
the vectors when one batch makes them, else at most VECTOR_WAIT_SECONDS, then goes on with those made so far.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence

import numpy as np

from .store import ExampleStore

logger = logging.getLogger("datasette_llm")

# Questions embedded in one call, then saved (16 of 2,000 characters take about a second here).
VECTOR_BATCH = 16
VECTOR_WAIT_SECONDS = 1.0
# A request that adds examples waits this long for their vectors at most: an embedding server that took 20 s made
# adding an example take 22 s (a second tester, session 42). The command line waits for all of them.
ADD_WAIT_SECONDS = 3.0


class _Fill:
    """One running fill: the vectors it has made so far (kept in memory too, for a store that cannot be written)."""

    def __init__(self):
        self.made: dict[int, tuple[str, bytes]] = {}  # example id -> (its question, the vector)
        self.task: asyncio.Future | None = None


_FILLS: dict[tuple, _Fill] = {}
# Vectors a store could not take (read-only): (store, database, model) -> example id -> (question, vector), kept
# so that they are not made again for every question (an outside tester, session 23: 606 texts embedded over six
# questions, each waiting up to 1.3 s, and the examples ranked differently each time).
_UNSAVED: dict[tuple, dict[int, tuple[str, bytes]]] = {}
_UNSAVED_LIMIT = 20_000


async def vectors_on_adding(
    datasette, store: ExampleStore, database: str, examples: Sequence, wait_seconds: float | None = None
) -> None:
    """Make the vectors of examples just added before the adding request or command ends (see the module's note),
    waiting at most `wait_seconds` (None: for all of them); in a server, a fill still running goes on after the
    request. Best effort: with a failing model or store they are left to the questions."""
    from ..config import settings_for
    from ..errors import DatasetteLLMError
    from ..models import embedding_model_for

    if not examples:
        return
    try:
        embedder = embedding_model_for(settings_for(datasette))
        making = example_vectors(store, database, examples, embedder, (DatasetteLLMError, OSError), wait_all=True)
        await asyncio.wait_for(making, wait_seconds)
    except asyncio.TimeoutError:
        pass
    except (DatasetteLLMError, OSError, sqlite3.Error):
        logger.info("datasette-llm: the vectors of %d new example(s) were left to the questions", len(examples))


async def example_vectors(
    store: ExampleStore, database: str, examples: Sequence, embedder, errors, *, wait_all: bool = False
) -> dict[int, bytes]:
    """Example id -> its question's vector (float32 bytes) for `embedder`, for as many of `examples` as have one
    now or once a shared fill has made them (see the module's note; `wait_all`: all of them). `errors`: what a
    failed save raises; the vector is then kept in this process's memory instead."""
    saved = await asyncio.to_thread(store.vectors, database, embedder.name)
    unsaved = _UNSAVED.get((str(store.path), database, embedder.name), {})
    for example in examples:
        if example.id not in saved and unsaved.get(example.id, ("",))[0] == example.question:
            saved[example.id] = unsaved[example.id][1]
    missing = [example for example in examples if example.id not in saved]
    if not missing:
        return saved
    key = (id(asyncio.get_running_loop()), str(store.path), database, embedder.name)
    fill = _FILLS.get(key)
    if fill is None:
        fill = _FILLS[key] = _Fill()
        fill.task = asyncio.ensure_future(_fill(store, database, missing, embedder, fill, errors))
        fill.task.add_done_callback(lambda task: _done(key, task))
    wait = None if wait_all or len(missing) <= VECTOR_BATCH else VECTOR_WAIT_SECONDS
    try:
        await asyncio.wait_for(asyncio.shield(fill.task), wait)
    except asyncio.TimeoutError:
        pass  # the fill goes on; this question uses the vectors made so far
    # A vector counts for the example with its id only while that example still asks the question it was made
    # from: a store replaced while a fill ran gives the same ids to other examples (a new file counts from 1).
    for example in missing:
        question, vector = fill.made.get(example.id, (None, b""))
        if question == example.question:
            saved[example.id] = vector
    return saved


def _done(key: tuple, task: asyncio.Future) -> None:
    _FILLS.pop(key, None)
    if not task.cancelled():
        task.exception()  # a failing model is told to the questions that waited (ModelError), not logged again


async def _fill(store: ExampleStore, database: str, missing: Sequence, embedder, fill: _Fill, errors) -> None:
    for start in range(0, len(missing), VECTOR_BATCH):
        batch = missing[start : start + VECTOR_BATCH]
        fresh = await embedder.aembed([example.question for example in batch])
        for example, vector in zip(batch, fresh):
            fill.made[example.id] = (example.question, np.asarray(vector, dtype=np.float32).tobytes())
        made = [(e.id, fill.made[e.id][1], e.question) for e in batch]
        try:
            await asyncio.to_thread(store.save_vectors, made, embedder.name)
        except errors:  # not writable: kept in memory instead
            if sum(map(len, _UNSAVED.values())) + len(batch) > _UNSAVED_LIMIT:
                _UNSAVED.clear()
            kept = _UNSAVED.setdefault((str(store.path), database, embedder.name), {})
            kept.update((e.id, fill.made[e.id]) for e in batch)
