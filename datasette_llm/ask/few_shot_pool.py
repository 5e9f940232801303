"""Where a question's examples come from: the database's trusted examples (checked again after a schema change,
their vectors made when missing) and the canned queries the actor may view, as one ShotPool (ask/few_shot.py
ranks and chooses from it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import numpy as np

from ..examples.store_file import STORE_ERRORS
from .few_shot import Shot, ShotPool

logger = logging.getLogger("datasette_llm")
# A question's writes to the store (outcomes of checks, vectors) are a cache: they wait this long for another
# process's write lock, then the question goes on without them (a lock held 13 s made Ask a 500 after 10 s).
STORE_WAIT_SECONDS = 1.0
# After a schema change the store's examples are checked again, about 18 ms each (1,500 took 27 s). A question
# waits for that whole when the store holds at most RECHECK_WAIT_ALWAYS examples (its note then says which were
# set aside), else RECHECK_WAIT_SECONDS at most, then goes on with the examples as they are. It uses no example
# the change broke either way: choose() checks each one against the schema of now before it goes into a prompt.
RECHECK_WAIT_ALWAYS = 100
RECHECK_WAIT_SECONDS = 1.0


# Vectors of canned queries' questions, which live in metadata, not in the store: (model, text) -> vector.
_canned_vectors: dict[tuple[str, str], np.ndarray] = {}
_CANNED_CACHE_LIMIT = 4096


async def load_pool(datasette, database: str, actor, settings, embedder) -> ShotPool:
    """The trusted examples of the database (checked again if its schema changed) and the canned queries the
    actor may view. Nothing is created on disk when no example was ever stored. A store that cannot be read
    (damaged, locked, from another version, its directory gone) leaves the trusted examples out and says so in
    `unavailable`: a question never fails for it (an outside tester's damaged store made every Ask a 500,
    session 19). One that cannot be written is read all the same."""
    from ..permissions import visible_canned_queries

    unavailable = False
    try:
        shots, vectors, set_aside = await _stored_shots(datasette, database, settings, embedder)
    except STORE_ERRORS as error:
        logger.warning("datasette-llm: the trusted examples of %s were not used: %s", database, error)
        shots, vectors, set_aside, unavailable = [], [], [], True
    for query in await visible_canned_queries(datasette, actor, database):
        shots.append(Shot(query["question"], query["sql"], "canned", query["name"]))
        vectors.append(await _canned_vector(embedder, query["question"]))
    return ShotPool(shots, _stack(vectors), set_aside, unavailable=unavailable)


# What a question read of a store, for the next questions: (store path, database, embedding model) -> (the
# store's generation, the schema hash, shots, vectors). Kept only while no one has written to the store since
# (examples/store.py counts every write), and only when every example had its vector.
_LOADED: dict[tuple, tuple] = {}
_LOADED_LIMIT = 32


async def _stored_shots(datasette, database: str, settings, embedder):
    from .. import permissions
    from ..examples.check import database_schema, fill_checks, recheck, schema_hash
    from ..examples.state import state_dir
    from ..examples.store import ExampleStore
    from ..examples.vectors import example_vectors

    shots: list[Shot] = []
    vectors: list[np.ndarray | None] = []
    set_aside: list = []
    path = state_dir(settings) / "examples.db"
    if not path.exists():
        return shots, vectors, set_aside
    store = await asyncio.to_thread(ExampleStore, path, busy_timeout=STORE_WAIT_SECONDS)
    schema = await permissions.get_database(datasette, database).execute_fn(database_schema)  # read once
    current = schema_hash(schema)
    generation, stored, stale = await asyncio.to_thread(store.state, database, current)
    if stale:
        generation = 0  # the re-check writes: read what it leaves
        try:  # shared with every request that needs it (examples/check.py); for a big store, waited for so long only
            wait = None if stored <= RECHECK_WAIT_ALWAYS else RECHECK_WAIT_SECONDS
            set_aside = await asyncio.wait_for(recheck(datasette, database, store, schema), wait)
        except asyncio.TimeoutError:
            set_aside = []  # still running; each example chosen meanwhile is checked against the schema anyway
        except STORE_ERRORS as error:  # unreadable or locked: each example chosen is checked against the schema anyway
            logger.warning("datasette-llm: the trusted examples of %s were not checked again: %s", database, error)
    key = (str(path.absolute()), database, embedder.name if embedder is not None else None)
    loaded = _LOADED.get(key)
    if generation and loaded is not None and loaded[:2] == (generation, current):
        return list(loaded[2]), list(loaded[3]), set_aside
    examples = await asyncio.to_thread(store.examples, database)
    try:
        examples = await fill_checks(datasette, database, store, examples, schema)
    except STORE_ERRORS as error:  # a check not made (the guard busy): examples never checked are left out
        logger.warning("datasette-llm: the trusted examples of %s could not be updated: %s", database, error)
        examples = [example for example in examples if example.names is not None]
    if examples:
        saved = await example_vectors(store, database, examples, embedder, STORE_ERRORS) if embedder else {}
        for example in examples:
            # A name dropped since is one nobody may see now: whether they could before is not known any more.
            shots.append(
                Shot(example.question, example.sql, "example", example.id, names=example.names, reads=example.reads)
            )
            raw = saved.get(example.id)
            vectors.append(np.frombuffer(raw, dtype=np.float32) if raw else None)
    if generation and (embedder is None or all(vector is not None for vector in vectors)):
        if len(_LOADED) >= _LOADED_LIMIT:
            _LOADED.clear()
        _LOADED[key] = (generation, current, tuple(shots), tuple(vectors))
    return shots, vectors, set_aside


async def _canned_vector(embedder, text: str) -> np.ndarray | None:
    if embedder is None:
        return None
    key = (embedder.name, text)
    if key not in _canned_vectors:
        if len(_canned_vectors) >= _CANNED_CACHE_LIMIT:
            _canned_vectors.clear()
        _canned_vectors[key] = (await embedder.aembed([text]))[0]
    return _canned_vectors[key]


def _stack(vectors: Sequence[np.ndarray | None]) -> np.ndarray:
    """One row per example; a row of zeros (no cosine: ranked by shared words alone) for an example whose vector is
    not made yet (examples/vectors.py); no columns at all unless the vectors made are all of one size."""
    sizes = {len(v) for v in vectors if v is not None}
    if len(sizes) != 1:
        return np.zeros((len(vectors), 0), dtype=np.float32)
    (size,) = sizes
    zeros = np.zeros(size, dtype=np.float32)
    return np.vstack([zeros if v is None else v for v in vectors]).astype(np.float32, copy=False)
