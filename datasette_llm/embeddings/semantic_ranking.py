"""The semantic ranking: the query embedded with the model each collection was built with, its nearest
vectors in the collection's cached index."""

from __future__ import annotations

from .. import permissions
from ..config import settings_for
from ..models import embedding_model_for
from ..models.base import EmbeddingModel
from ..timing import clock
from .index import INDEXES, QUERY_EMBEDDINGS
from .store import ModelMismatch


def query_model(settings, collection_model: str) -> EmbeddingModel:
    """The model that embeds queries for a collection built with `collection_model`."""
    configured = embedding_model_for(settings)
    if _same_model(configured.name, collection_model):
        return configured
    default = embedding_model_for(settings, "default")
    if _same_model(default.name, collection_model):
        return default
    if collection_model.startswith(("onnx:", "openai:")):
        return embedding_model_for(settings, collection_model)
    raise ModelMismatch(
        f"The collection was embedded with model {collection_model!r}, which this plugin cannot run; the "
        f"configured embedding model is {configured.name!r}. Rebuild it with `datasette llm embed ... --replace`."
    )


def _same_model(ours: str, theirs: str) -> bool:
    # llm names sentence-transformers models "sentence-transformers/all-MiniLM-L6-v2".
    return ours == theirs or ours.rsplit("/", 1)[-1].lower() == theirs.rsplit("/", 1)[-1].lower()


async def semantic_ranking(datasette, targets, q, depth, timings, notes, *, strict: bool):
    """The `depth` rows nearest to `q` as ((db, table, id), cosine), best first, and the models used. A collection
    whose model cannot embed the query is a note, or with `strict` (one table asked for) the error."""
    settings = settings_for(datasette)
    ranked: list[tuple[tuple, float]] = []
    models: list[str] = []
    embedding = searching = 0.0  # seconds, over every target
    for target in targets:
        try:
            model = query_model(settings, target.collection.model)
        except ModelMismatch as error:
            if strict:
                raise
            notes.append(f"{target.label}: {error.message}")
            continue
        started = clock()
        vector = await QUERY_EMBEDDINGS.get(model, q)
        embedding += clock() - started
        started = clock()
        db = permissions.get_database(datasette, target.database)
        index = await INDEXES.get(db, target.tables, target.collection.id)
        if len(index) and index.dimensions != len(vector):
            QUERY_EMBEDDINGS.forget(model, q)
            message = (
                f"{target.label}: stored vectors have {index.dimensions} dimensions but {model.name} "
                f"gives {len(vector)}; rebuild the collection with this model."
            )
            if strict:
                raise ModelMismatch(message)
            notes.append(message)
            continue
        key = (target.database, target.table or target.collection.name)
        ranked += [((*key, id_), score) for id_, score in index.top_k(vector, depth)]
        searching += clock() - started
        if model.name not in models:
            models.append(model.name)
    timings.add_seconds("embed_query", embedding)
    timings.add_seconds("vectors", searching)
    ranked.sort(key=lambda item: -item[1])
    return ranked[:depth], models
