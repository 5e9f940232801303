"""Load the embedding model before the first search, when a database the plugin serves has a collection.

The model loads on first use: the first search of a fresh `datasette serve` of the demo took 0.78 s against
0.04 s for the next (session 44), and the first answer from text waited for it too. At start-up a daemon thread
loads every local (ONNX) model a collection needs by embedding one word; a model behind an API is left alone
(a request costs money and may reach the network). The thread loads at normal priority: onnxruntime's worker
threads start with the session and keep the priority of the thread that opened it, and searches run on them.
`warm_up: false` turns this off with the rest of the warm-up.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading

from ..config import settings_for
from .semantic_ranking import query_model
from .store import ModelMismatch, StoreTables
from .targets import collections_in

logger = logging.getLogger("datasette_llm")

LOCAL_BACKENDS = ("onnx",)
EXIT_WAIT_SECONDS = 30  # at most, for a load still running when the process ends


def start(datasette) -> threading.Thread | None:
    """Load in a daemon thread the local models the served collections need; None when warm-up is off."""
    if not settings_for(datasette).warm_up:
        return None
    thread = threading.Thread(target=load_models, args=(datasette,), name="datasette-llm-embedder", daemon=True)
    thread.start()
    # A process that ends while onnxruntime is still opening its session aborts ("terminate called without an
    # active exception": a Ctrl-C in the server's first second, session 44): its exit waits for the load.
    atexit.register(thread.join, EXIT_WAIT_SECONDS)
    return thread


def load_models(datasette) -> list[str]:
    """The names of the models loaded (each by embedding one word)."""
    loaded = []
    try:
        for model in asyncio.run(models_needed(datasette)):
            model.embed(["warm-up"])
            loaded.append(model.name)
    except Exception:  # a missing model file or an unreadable database: the first search reports it
        logger.debug("datasette-llm: could not load the embedding model ahead of use", exc_info=True)
    return loaded


async def models_needed(datasette) -> list:
    """The local embedding models of the collections in the databases search is enabled for, each once."""
    settings = settings_for(datasette)
    store = StoreTables(settings.table_prefix or "")
    models: dict[str, object] = {}
    for name, db in list(datasette.databases.items()):
        if name == "_internal" or not settings.enabled_for(name):
            continue
        for collection in await collections_in(db, store, []):
            try:
                model = query_model(settings, collection.model)
            except ModelMismatch:
                continue
            if model.backend in LOCAL_BACKENDS:
                models.setdefault(model.name, model)
    return list(models.values())
