"""Build (and incrementally refresh) the embeddings collection of a table.

One collection per table: name = table name, model = the embedding model's name, and each embedding's id is
the row's primary key (a plain string for one key column, a JSON list for a compound key, the rowid when the
table has none). Rows are embedded in batches and every batch is committed on its own, so an interrupted
build keeps its work and the next run resumes: rows whose content hash is unchanged are skipped, rows that
no longer exist are removed.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import BadRequest, NotFound
from ..sql.names import quote_identifier as quote
from .source import ctrl_c_stops, interrupted_by_ctrl_c, read_source, row_id, row_text, text_columns, user_tables
from .store import (
    ModelMismatch,
    StoreTables,
    content_hash,
    create_collection,
    encode,
    list_collections,
    read_hashes,
    set_collection_model,
    store_state,
)

Progress = Callable[[int, int], None]  # (rows processed so far, total rows)


@dataclass(frozen=True)
class BuildSummary:
    database: str
    table: str
    collection: str
    model: str
    total: int
    embedded: int
    unchanged: int
    removed: int
    skipped: int  # rows with no text to embed
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        return {**asdict(self), "rows_per_second": round(self.rows_per_second, 1)}


class BuildInterrupted(KeyboardInterrupt):
    """Ctrl-C during a build: every committed batch is kept; `summary` says how far it got."""

    def __init__(self, summary: BuildSummary):
        super().__init__(f"Interrupted after embedding {summary.embedded} rows")
        self.summary = summary


def _connect(path_or_conn) -> tuple[sqlite3.Connection, bool]:
    """A sqlite3 connection and whether we opened it (and so must close it)."""
    if isinstance(path_or_conn, sqlite3.Connection):
        return path_or_conn, False
    if hasattr(path_or_conn, "conn"):  # sqlite_utils.Database
        return path_or_conn.conn, False
    path = Path(path_or_conn)
    if not path.exists():
        raise NotFound(f"Database file {str(path)!r} does not exist.")
    return sqlite3.connect(str(path)), True


def _database_name(conn: sqlite3.Connection) -> str:
    row = conn.execute("pragma database_list").fetchone()
    return Path(row[2]).stem if row and row[2] else "memory"


def _resolve_model(model, settings):
    if model is not None and not isinstance(model, str):
        return model
    from ..config import load_settings
    from ..models import embedding_model_for

    return embedding_model_for(settings or load_settings(), model)


def embed_table(
    path_or_conn,
    table: str,
    columns=None,
    sql: str | None = None,
    model=None,
    batch_size: int = 32,
    progress: Progress | None = None,
    *,
    settings=None,
    table_prefix: str | None = None,
    collection: str | None = None,
    store: bool = False,
    replace: bool = False,
) -> BuildSummary:
    """Embed a table's rows into the collection named after it (or `collection`) and return what changed.

    `path_or_conn`: a database path, a sqlite3 connection or a sqlite_utils Database. `columns`: the text
    columns (default: every TEXT column that is not the key). `sql`: instead, a query selecting an id followed
    by text columns. `model`: an EmbeddingModel, a model spec or None for the configured one. `store` keeps
    the text in the `content` column as `llm embed --store` does. `replace` re-embeds a collection that was
    built with another model. `progress(done, total)` is called after every committed batch; raising
    KeyboardInterrupt there (or Ctrl-C) stops the build with BuildInterrupted, keeping committed batches.
    """
    if batch_size < 1:
        raise BadRequest("batch_size must be at least 1.")
    conn, opened = _connect(path_or_conn)
    reader = _snapshot_reader(conn)
    try:
        # A caller's own connection keeps its own progress handler; the reader is ours.
        with ctrl_c_stops(*[c for c in (conn if opened else None, reader) if c is not None]):
            return _build(
                conn,
                reader or conn,
                table,
                columns,
                sql,
                _resolve_model(model, settings),
                batch_size,
                progress,
                StoreTables(table_prefix if table_prefix is not None else getattr(settings, "table_prefix", "") or ""),
                collection or table,
                store,
                replace,
            )
    finally:
        if reader is not None:
            reader.close()
        if opened:
            conn.close()


def _snapshot_reader(conn: sqlite3.Connection) -> sqlite3.Connection | None:
    """In WAL mode, a read-only connection of its own to read the rows through (None: read them through `conn`).
    Read through the connection that writes, the open query kept the file as it was when the build began, and once
    another program had committed, SQLite refused the next batch from that older view: "database is locked" (an
    outside tester, session 54). Another connection's view does not hold back the writer's. In rollback-journal
    mode a reader's lock would stop the build's own commits: there the rows are read through `conn`, as before,
    and another writer waits for the build."""
    try:
        if conn.execute("pragma journal_mode").fetchone()[0].lower() != "wal":
            return None
        file = next((row[2] for row in conn.execute("pragma database_list") if row[1] == "main"), "")
        return sqlite3.connect(f"{Path(file).as_uri()}?mode=ro", uri=True) if file else None
    except sqlite3.Error:
        return None


def _build(
    conn, source, table, columns, sql, model, batch_size, progress, tables, name, store, replace
) -> BuildSummary:
    start = time.perf_counter()
    store_state(conn, tables, write=True)  # a user's own `embeddings` table stops us before any work
    try:
        cursor, keys, total = read_source(source, table, columns, sql)
    except KeyboardInterrupt:
        raise BuildInterrupted(
            BuildSummary(_database_name(conn), table, name, model.name, 0, 0, 0, 0, 0, 0.0)
        ) from None
    rows = ((row_id(row[:keys]), row_text(row[keys:])) for row in cursor)
    if source is conn:  # no reader of its own (rollback-journal mode): the read ends before the first batch
        rows = _spooled(rows, cursor)
    try:
        return _embed_rows(conn, rows, total, table, model, batch_size, progress, tables, name, store, replace, start)
    finally:
        # An open cursor (say, kept alive by an interrupt's traceback) would hold a read lock on the file.
        cursor.close()


def _spooled(rows: Iterable[tuple], cursor: sqlite3.Cursor) -> Iterator[tuple]:
    """The rows copied into a temporary database of their own, then the source's read ended, then the copies. In
    rollback-journal mode the open read kept a shared lock on the file for the whole build (hours of embedding on
    one CPU), so another program's commits failed with "database is locked" (an outside tester, session 54): now
    the lock is held only while the rows are copied (seconds), and between the build's short commits another
    writer commits as usual. The copy is on disk past SQLite's cache, not in memory."""
    spool = sqlite3.connect("")
    try:
        spool.execute("create table rows (id, text)")
        spool.executemany("insert into rows values (?, ?)", rows)
        cursor.close()
        yield from spool.execute("select id, text from rows order by rowid")
    finally:
        spool.close()


def _embed_rows(
    conn, rows, total, table, model, batch_size, progress, tables, name, store, replace, start
) -> BuildSummary:
    # A new collection (and the storage tables) is written with the first batch of vectors, not before, and so is
    # a replaced one emptied and switched to the new model: a build whose model failed first (its server down) left
    # the database changed and a collection tied to that model, so the next build with another model was refused,
    # and `--replace` lost every vector of the old model (outside testers' generated CLI runs, session 45).
    coll = next((c for c in list_collections(conn, tables) if c.name == name), None)
    switch = coll is not None and coll.model != model.name
    if switch and not replace:
        raise ModelMismatch(
            f"Collection {name!r} was embedded with model {coll.model!r}, not {model.name!r}. Use --model "
            f"{coll.model} to update it, or --replace to re-embed every row with {model.name}."
        )
    known = read_hashes(conn, tables, coll.id) if coll is not None and not switch else {}
    counts = {"embedded": 0, "unchanged": 0, "skipped": 0, "removed": 0}
    seen: set[str] = set()
    insert = (
        f"insert or replace into {quote(tables.embeddings)} (collection_id, id, embedding, content, "
        "content_blob, content_hash, metadata, updated) values (?, ?, ?, ?, null, ?, null, ?)"
    )

    def summary() -> BuildSummary:
        return BuildSummary(
            _database_name(conn),
            table,
            name,
            model.name,
            total,
            counts["embedded"],
            counts["unchanged"],
            counts["removed"],
            counts["skipped"],
            round(time.perf_counter() - start, 3),
        )

    def collection():
        nonlocal coll, switch
        if coll is None:
            coll = create_collection(conn, tables, name, model.name)
        elif switch:
            coll, switch = set_collection_model(conn, tables, coll, model.name), False
        return coll

    def flush(batch):
        vectors = model.embed([text for _, text, _ in batch], batch_size=batch_size)
        collection_id = collection().id
        now = int(time.time())
        with conn:  # one transaction per batch: Ctrl-C loses at most the batch in flight
            conn.executemany(
                insert,
                [
                    (collection_id, id_, encode(vector), text if store else None, digest, now)
                    for (id_, text, digest), vector in zip(batch, vectors)
                ],
            )
        counts["embedded"] += len(batch)

    try:
        batch: list = []
        processed = 0
        for id_, text in rows:
            processed += 1
            if id_ in seen:  # a --sql query may repeat an id; the first row wins, as a primary key would
                continue
            seen.add(id_)
            if not text:
                counts["skipped"] += 1
                seen.discard(id_)  # no text, no embedding: a stale one is removed below
                continue
            digest = content_hash(text)
            if known.get(id_) == digest:
                counts["unchanged"] += 1
                if progress and counts["unchanged"] % (batch_size * 8) == 0:
                    progress(processed, total)
                continue
            batch.append((id_, text, digest))
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
                if progress:
                    progress(processed, total)
        if batch:
            flush(batch)
        stale = [id_ for id_ in known if id_ not in seen]
        if stale:  # (not compiled with nothing to delete: a first build of a table without text has no storage yet)
            with conn:
                conn.executemany(
                    f"delete from {quote(tables.embeddings)} where collection_id = ? and id = ?",
                    [(collection().id, id_) for id_ in stale],
                )
        elif switch:  # --replace with no row to embed: the collection is still emptied and moved to the new model
            collection()
        counts["removed"] = len(stale)
        if progress:
            progress(processed, total)
    except (KeyboardInterrupt, sqlite3.OperationalError) as error:
        if not isinstance(error, KeyboardInterrupt) and not interrupted_by_ctrl_c(error):
            raise
        if conn.in_transaction:
            conn.rollback()
        raise BuildInterrupted(summary()) from None
    return summary()


def enable_fts(
    path_or_conn,
    table: str,
    columns=None,
    *,
    fts_version: str = "FTS5",
    create_triggers: bool = True,
    replace: bool = False,
) -> str:
    """Give a table SQLite full-text search (what hybrid search fuses with), kept in sync by triggers.

    `columns` defaults to the table's text columns. Returns the name of the FTS table.
    """
    import sqlite_utils

    conn, opened = _connect(path_or_conn)
    try:
        if table not in user_tables(conn):
            raise NotFound(f"Table {table!r} does not exist. Tables: {', '.join(user_tables(conn)) or 'none'}.")
        columns = list(columns or text_columns(conn, table))
        if not columns:
            raise BadRequest(f"Table {table!r} has no text columns to index.")
        db = sqlite_utils.Database(conn)
        db[table].enable_fts(columns, fts_version=fts_version, create_triggers=create_triggers, replace=replace)
        return f"{table}_fts"
    finally:
        if opened:
            conn.close()
