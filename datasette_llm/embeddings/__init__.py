"""Embeddings: llm-compatible storage, incremental builds, cached-matrix search, hybrid with FTS.

store.py    schema, encode/decode, collections (the layout `llm embed-multi` / `llm similar` use)
build.py    embed_table(): batched, incremental, resumable; enable_fts()
index.py    a collection decoded once into a NumPy matrix, refreshed when it changes; top-k
ranking.py  safe FTS queries and rank fusion
search.py   semantic_search(): what the web page, the JSON API, the CLI and `ask` call; it ranks with
            semantic_ranking.py (vectors) and keyword_ranking.py (FTS), fuses, and fetches the rows
            (hits.py) of the collections the actor may see (targets.py), as results.py's SearchResult
hidden.py   keeps the storage tables out of Datasette's table lists
warm_up.py  loads the local embedding model the served collections need at `datasette serve` start-up
"""

from __future__ import annotations

from .build import BuildInterrupted, BuildSummary, embed_table, enable_fts
from .hidden import hidden_tables_metadata
from .index import INDEXES, QUERY_EMBEDDINGS, VectorIndex
from .ranking import fts_query, fuse
from .results import SearchHit, SearchResult
from .search import MODES, semantic_search
from .store import (
    Collection,
    ModelMismatch,
    SchemaConflict,
    StoreTables,
    content_hash,
    cosine,
    decode,
    encode,
    list_collections,
)

__all__ = [
    "INDEXES",
    "MODES",
    "QUERY_EMBEDDINGS",
    "BuildInterrupted",
    "BuildSummary",
    "Collection",
    "ModelMismatch",
    "SchemaConflict",
    "SearchHit",
    "SearchResult",
    "StoreTables",
    "VectorIndex",
    "content_hash",
    "cosine",
    "decode",
    "embed_table",
    "enable_fts",
    "encode",
    "fts_query",
    "fuse",
    "hidden_tables_metadata",
    "list_collections",
    "register_sql_functions",
    "semantic_search",
]


def register_sql_functions(conn) -> None:
    """`llm_cosine(blob_a, blob_b)` for ad-hoc SQL, and `rank_bm25` so FTS4 tables can be ranked."""
    conn.create_function("llm_cosine", 2, cosine, deterministic=True)
    try:
        from sqlite_fts4 import rank_bm25
    except ImportError:  # sqlite-utils brings it; without it FTS4 keyword ranking is unavailable
        return
    conn.create_function("rank_bm25", 1, rank_bm25, deterministic=True)
