"""Search a Datasette instance's embeddings collections by meaning, by keyword (FTS BM25), or both fused."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from datasette.database import QueryInterrupted

from .. import permissions
from ..config import settings_for
from ..errors import BadRequest, ModelBusy, NotFound
from ..models import embedding_model_for
from ..models.base import EmbeddingModel
from ..sql.execute import clip_text
from ..timing import Timings, clock
from .index import INDEXES, QUERY_EMBEDDINGS
from .ranking import CANDIDATES, fts_query, fuse
from .store import Collection, ModelMismatch, SchemaConflict, StoreTables, list_collections, quote

MODES = ("semantic", "keyword", "hybrid")
MAX_LIMIT = 100
TIMING_DIGITS = 4  # seconds to 0.1 ms: a search takes milliseconds
CLIP_CHARS = 300


@dataclass(frozen=True)
class SearchHit:
    database: str
    table: str  # the table the row lives in (or the collection name when no such table exists)
    id: str  # the embeddings id: the primary key as llm stores it
    pk: tuple  # primary key values
    score: float
    row: dict  # the row's columns, long values clipped
    url: str | None  # the row page
    semantic_score: float | None = None  # cosine similarity, when the vector ranking found it
    semantic_rank: int | None = None
    keyword_rank: int | None = None

    def to_json(self) -> dict:
        return {
            "database": self.database,
            "table": self.table,
            "id": self.id,
            "pk": list(self.pk),
            "score": round(self.score, 6),
            "url": self.url,
            "row": self.row,
            "semantic_score": None if self.semantic_score is None else round(self.semantic_score, 6),
            "semantic_rank": self.semantic_rank,
            "keyword_rank": self.keyword_rank,
        }


@dataclass(frozen=True)
class SearchResult:
    q: str
    mode: str
    limit: int
    hits: tuple[SearchHit, ...]
    model: str | None  # embedding model used for the query (None for keyword-only)
    searched: tuple[str, ...]  # "database/table" of every collection searched
    timings: dict = field(default_factory=dict)  # seconds per stage
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "ok": True,
            "q": self.q,
            "mode": self.mode,
            "limit": self.limit,
            "model": self.model,
            "hits": [hit.to_json() for hit in self.hits],
            "searched": list(self.searched),
            "timings": dict(self.timings),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Target:
    database: str
    table: str | None  # None: a collection (written by llm) that matches no table
    collection: Collection
    tables: StoreTables

    @property
    def label(self) -> str:
        return f"{self.database}/{self.table or self.collection.name}"


class SearchUnavailable(ModelBusy):
    """The database is busy (locked by a writer) or too slow: retry later (503 with Retry-After)."""

    code = "search_unavailable"


def check_params(q, limit, mode) -> tuple[str, int, str]:
    """Validated (q, limit, mode), or a BadRequest that says what is allowed."""
    q = (q or "").strip()
    if not q:
        raise BadRequest("The search query is empty: give some words to search for (q=...).")
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be from 1 to {MAX_LIMIT}, got {limit}.")
    mode = (mode or "hybrid").strip().lower()
    if mode not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}, got {mode!r}.")
    return q, limit, mode


async def semantic_search(
    datasette,
    actor,
    q: str,
    database: str | None = None,
    table: str | None = None,
    limit: int = 10,
    mode: str = "hybrid",
) -> SearchResult:
    """Search the embeddings collections the actor may see and return the best rows.

    Stable API (the web page, the JSON endpoint, the CLI and `ask` retrieval call it):
    - `actor`: the Datasette actor dict or None; hits only come from tables the actor may view.
    - `database` / `table`: narrow the search; omitted, every visible collection is searched. `table` may
      also name an llm collection that matches no table.
    - `limit`: 1..100. `mode`: "semantic" (cosine over the vectors), "keyword" (SQLite FTS BM25, for tables
      with full-text search) or "hybrid" (both rankings fused; semantic only where a table has no FTS).
    Raises BadRequest (400) for an empty q or a bad limit/mode, NotFound (404, listing what exists) for an
    unknown database, table or collection, ModelNotReady (503) when the embedding model is missing.
    """
    q, limit, mode = check_params(q, limit, mode)
    try:
        return await _search(datasette, actor, q, database, table, limit, mode)
    except (sqlite3.OperationalError, QueryInterrupted) as error:
        # A writer holding the file (a build committing) or a slow disk: retryable, not a server bug.
        raise SearchUnavailable(
            f"The database could not be read just now ({error}); try again shortly.", retry_after=2
        ) from None


async def _search(datasette, actor, q, database, table, limit, mode) -> SearchResult:
    started = clock()
    settings = settings_for(datasette)
    store = StoreTables(settings.table_prefix or "")
    timings = Timings(TIMING_DIGITS)
    notes: list[str] = []
    targets = await _targets(datasette, actor, database, table, store, notes)
    if mode == "keyword" and table is not None and targets:
        target = targets[0]
        if not target.table or not await permissions.get_database(datasette, target.database).fts_table(target.table):
            raise BadRequest(
                f"{target.label} has no full-text search index, so mode=keyword cannot be used; "
                "use mode=semantic or hybrid, or enable FTS on the table."
            )
    depth = max(limit, CANDIDATES) if mode == "hybrid" else limit
    semantic, model_names = ([], [])
    if mode != "keyword":
        semantic, model_names = await _semantic(datasette, targets, q, depth, timings, notes, strict=table is not None)
    keyword = await _keyword(datasette, targets, q, depth, timings, notes) if mode != "semantic" else []
    if mode == "hybrid":
        fused = fuse(semantic, keyword)
    else:  # one ranking alone keeps its own order
        fused = fuse(semantic, [], weight=1.0) if mode == "semantic" else fuse([], keyword, weight=0.0)
    by_key = {(t.database, t.table or t.collection.name): t for t in targets}
    chosen = fused[: limit * 2]  # some candidates may be rows deleted since the build
    fetching = clock()
    hits = await _hits(datasette, chosen, by_key, mode)
    timings.add("rows", fetching)
    timings.add("total", started)
    return SearchResult(
        q,
        mode,
        limit,
        tuple(hits[:limit]),
        ", ".join(model_names) or None,
        tuple(t.label for t in targets),
        timings,
        tuple(notes),
    )


async def _collections(db, store: StoreTables, notes: list[str]) -> list[Collection]:
    try:
        return await db.execute_fn(lambda conn: list_collections(conn, store))
    except SchemaConflict as error:
        notes.append(f"{db.name}: {error.message}")
        return []


async def _targets(datasette, actor, database, table, store: StoreTables, notes: list[str]) -> list[_Target]:
    settings = settings_for(datasette)
    if database is not None:
        permissions.get_database(datasette, database)  # 404 listing the databases before anything else
        if not settings.enabled_for(database):
            enabled = [d for d in await permissions.visible_databases(datasette, actor) if settings.enabled_for(d)]
            raise NotFound(
                f"Search is not enabled for database {database!r}. Databases: {', '.join(enabled) or 'none'}.",
                databases=enabled,
            )
        databases = [database]
        await permissions.require_view_database(datasette, actor, database)
    else:
        databases = [d for d in await permissions.visible_databases(datasette, actor) if settings.enabled_for(d)]
    targets: list[_Target] = []
    for name in databases:
        targets += await _database_targets(datasette, actor, name, store, notes)
    if table is None:
        return targets
    chosen = [t for t in targets if (t.table or t.collection.name) == table]
    if chosen:
        return chosen[:1] if database is not None else chosen
    if database is not None:
        # A real table the actor may see but without a collection, or nothing at all: say what exists.
        await permissions.require_view_table(datasette, actor, database, table)
        names = [t.table or t.collection.name for t in targets]
        raise NotFound(
            f"Table {table!r} in {database!r} has no embeddings collection; build one with "
            f"`datasette llm embed {database}.db {table}`. Collections: {', '.join(names) or 'none'}.",
            collections=names,
        )
    names = [t.label for t in targets]
    raise NotFound(
        f"No embeddings collection for table {table!r}. Collections: {', '.join(names) or 'none'}.", collections=names
    )


async def _database_targets(datasette, actor, database: str, store: StoreTables, notes: list[str]) -> list[_Target]:
    db = permissions.get_database(datasette, database)
    collections = await _collections(db, store, notes)
    if not collections:
        return []
    # Tables and views, by SQLite's case-insensitive names: a collection named after either is attached to it
    # and exactly as visible as it.
    tables = {name.lower(): name for name in await db.table_names() + await db.view_names()}
    targets = []
    for collection in collections:
        real = tables.get(collection.name.lower())
        if real is not None:
            if await permissions.can_view_table(datasette, actor, database, real):
                targets.append(_Target(database, collection.name, collection, store))
        # A collection that matches no table is as visible as the storage table holding it.
        elif await permissions.can_view_table(datasette, actor, database, store.embeddings):
            targets.append(_Target(database, None, collection, store))
    return targets


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


async def _semantic(datasette, targets, q, depth, timings, notes, *, strict: bool):
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


async def _keyword(datasette, targets, q, depth, timings, notes):
    """BM25 ranking over every target table with full-text search, as ((db, table, id), score)."""
    started = clock()
    match = fts_query(q)
    ranked: list[tuple[tuple, float]] = []
    for target in targets if match else []:
        if not target.table:
            continue
        db = permissions.get_database(datasette, target.database)
        fts = await db.fts_table(target.table)
        if not fts:
            continue
        try:
            ranked += await _fts_ranking(db, target.table, fts, match, depth)
        except (sqlite3.DatabaseError, QueryInterrupted) as error:  # costs the keyword half, not the search
            notes.append(f"{target.label}: full-text search failed ({error}); showing semantic results.")
    ranked.sort(key=lambda item: -item[1])
    timings.add("keyword", started)
    return ranked[:depth]


async def _fts_ranking(db, table: str, fts: str, match: str, depth: int) -> list[tuple[tuple, float]]:
    definition = (await db.execute("select sql from sqlite_master where name = ?", [fts])).rows
    fts5 = bool(definition) and "fts5" in (definition[0][0] or "").lower()
    # FTS5's rank is bm25() (more negative is better); FTS4 has no bm25, rank_bm25 is registered by us.
    rank = "rank" if fts5 else f"rank_bm25(matchinfo({quote(fts)}, 'pcnalx'))"
    rows = (
        await db.execute(
            f"select rowid, {rank} as score from {quote(fts)} where {quote(fts)} match :match "
            f"order by score limit {int(depth)}",
            {"match": match},
        )
    ).rows
    if not rows:
        return []
    pks = await db.primary_keys(table)
    columns = ", ".join(quote(c) for c in pks) if pks else "rowid"
    rowids = [row[0] for row in rows]
    placeholders = ", ".join("?" for _ in rowids)
    keys = {
        r[0]: _row_id(r[1:])
        for r in (
            await db.execute(f"select rowid, {columns} from {quote(table)} where rowid in ({placeholders})", rowids)
        ).rows
    }
    return [((db.name, table, keys[row[0]]), -float(row[1])) for row in rows if row[0] in keys]


def _row_id(values) -> str:
    values = list(values)
    return str(values[0]) if len(values) == 1 else json.dumps(values, ensure_ascii=False)


def clip(value):
    if isinstance(value, str):
        return clip_text(value, CLIP_CHARS)[0]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<binary: {len(value)} bytes>"
    return value


def _key_values(id_: str, pks: list[str]) -> list:
    if not pks:
        return [int(id_)]
    if len(pks) == 1:
        return [id_]
    try:
        values = json.loads(id_)
    except ValueError:
        return []
    return values if isinstance(values, list) and len(values) == len(pks) else []


async def _hits(datasette, fused, by_key, mode) -> list[SearchHit]:
    from datasette.utils import path_from_row_pks

    groups: dict[tuple, list] = {}
    for item in fused:
        groups.setdefault(item.key[:2], []).append(item)
    rows: dict[tuple, tuple] = {}  # (db, table, id) -> (pk values, row dict, url)
    for (database, name), items in groups.items():
        target = by_key[(database, name)]
        db = permissions.get_database(datasette, database)
        if target.table is None:
            for item in items:
                rows[item.key] = ((item.key[2],), await _content_row(db, target, item.key[2]), None)
            continue
        pks = await db.primary_keys(target.table)
        wanted = [(item.key[2], _key_values(item.key[2], pks)) for item in items]
        wanted = [(id_, values) for id_, values in wanted if values]
        if not wanted:
            continue
        if len(pks) <= 1:
            column = quote(pks[0]) if pks else "rowid"
            where = f"{column} in ({', '.join('?' for _ in wanted)})"
            params = [values[0] for _, values in wanted]
        else:
            clause = "(" + " and ".join(f"{quote(c)} = ?" for c in pks) + ")"
            where = " or ".join(clause for _ in wanted)
            params = [v for _, values in wanted for v in values]
        select = "rowid, *" if not pks else "*"
        try:
            result = await db.execute(f"select {select} from {quote(target.table)} where {where}", params)
        except (sqlite3.DatabaseError, QueryInterrupted):
            continue  # the rows stay out; the other tables' hits still come back
        for row in result.rows:
            id_ = _row_id([row[c] for c in pks] if pks else [row["rowid"]])
            url = datasette.urls.row(database, target.table, path_from_row_pks(row, pks, not pks))
            values = tuple(row[c] for c in pks) if pks else (row["rowid"],)
            shown = {k: clip(row[k]) for k in row.keys()}  # noqa: SIM118 (iterating a Row gives values)
            rows[(database, name, id_)] = (values, shown, url)
    hits = []
    for item in fused:
        if item.key not in rows:
            continue
        values, row, url = rows[item.key]
        score = item.semantic_score if mode == "semantic" else (item.keyword_score if mode == "keyword" else item.score)
        hits.append(
            SearchHit(
                item.key[0],
                item.key[1],
                item.key[2],
                values,
                float(score),
                row,
                url,
                item.semantic_score,
                item.semantic_rank,
                item.keyword_rank,
            )
        )
    return hits


async def _content_row(db, target: _Target, id_: str) -> dict:
    """What an llm collection without a table can show: its stored content and metadata."""
    e = quote(target.tables.embeddings)
    result = await db.execute(
        f"select content, metadata from {e} where collection_id = ? and id = ?", [target.collection.id, id_]
    )
    if not result.rows:
        return {"id": id_}
    content, metadata = result.rows[0][0], result.rows[0][1]
    return {"id": id_, "content": clip(content), "metadata": clip(metadata)}


async def has_collection(datasette, database: str, table: str) -> bool:
    """Whether a table has an embeddings collection (for the table action link)."""
    store = StoreTables(settings_for(datasette).table_prefix or "")
    db = permissions.get_database(datasette, database)
    return any(c.name == table for c in await _collections(db, store, []))
