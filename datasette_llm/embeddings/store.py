"""Embeddings storage in the layout Simon Willison's `llm` uses, so either tool can read what the other wrote.

    collections(id integer primary key, name text unique, model text)
    embeddings(collection_id integer references collections(id), id text, embedding blob, content text,
               content_blob blob, content_hash blob, metadata text, updated integer,
               primary key (collection_id, id))

Vectors are little-endian float32 (`struct.pack("<" + "f" * n)`), `content_hash` is the md5 digest of the
UTF-8 content. Without a table prefix we also record llm's migrations ("llm.embeddings" in
`_sqlite_migrations`) so `llm similar -d DB` treats the tables as up to date instead of re-creating them.
With a prefix (`{prefix}collections`, `{prefix}embeddings`) the layout is the same but llm cannot find it.

Everything here takes a plain `sqlite3.Connection`: the CLI writes through it, the server reads through
`Database.execute_fn`.
"""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
from dataclasses import dataclass

import numpy as np

from ..errors import DatasetteLLMError, NotFound
from ..sql.names import quote_identifier as quote
from ..sql.policy import is_virtual

LLM_MIGRATION_SET = "llm.embeddings"
LLM_MIGRATIONS = (
    "m001_create_tables",
    "m002_foreign_key",
    "m003_add_updated",
    "m004_store_content_hash",
    "m005_add_content_blob",
)
MIGRATIONS_TABLE = "_sqlite_migrations"

COLLECTION_COLUMNS = ("id", "name", "model")
EMBEDDING_COLUMNS = (
    "collection_id",
    "id",
    "embedding",
    "content",
    "content_blob",
    "content_hash",
    "metadata",
    "updated",
)
# Enough to serve a collection (older llm versions lack content_hash, content_blob and updated).
EMBEDDING_READ_COLUMNS = ("collection_id", "id", "embedding")


class SchemaConflict(DatasetteLLMError):
    """A user table already has one of our names; we never touch it."""

    status = 409
    code = "schema_conflict"


class ModelMismatch(DatasetteLLMError):
    """A collection was embedded with a model this plugin cannot run for queries."""

    status = 409
    code = "model_mismatch"


@dataclass(frozen=True)
class StoreTables:
    """The names of the two storage tables for a table prefix."""

    prefix: str = ""

    @property
    def collections(self) -> str:
        return f"{self.prefix}collections"

    @property
    def embeddings(self) -> str:
        return f"{self.prefix}embeddings"

    @property
    def names(self) -> tuple[str, ...]:
        names = (self.collections, self.embeddings)
        return names + ((MIGRATIONS_TABLE,) if not self.prefix else ())


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    model: str
    count: int = 0


def encode(vector) -> bytes:
    """Little-endian float32 bytes, identical to llm's `struct.pack("<" + "f" * len(vector), *vector)`."""
    return np.asarray(vector, dtype="<f4").tobytes()


def decode(blob: bytes) -> np.ndarray:
    """A float32 vector from llm's BLOB encoding (a read-only view over the bytes)."""
    return np.frombuffer(blob, dtype="<f4")


def content_hash(content: str | bytes) -> bytes:
    if isinstance(content, str):
        content = content.encode("utf8")
    return hashlib.md5(content).digest()


MAX_VECTOR_BYTES = 65_536  # 16,384 float32 dimensions: more than any embedding model writes


def cosine(blob_a: bytes | None, blob_b: bytes | None) -> float | None:
    """Cosine similarity of two stored vectors; None when either is missing, their lengths differ or they are
    longer than any embedding (`llm_cosine(randomblob(1e9), ...)` must not cost gigabytes)."""
    if blob_a is None or blob_b is None or len(blob_a) != len(blob_b) or len(blob_a) % 4:
        return None
    if len(blob_a) > MAX_VECTOR_BYTES or not isinstance(blob_a, bytes) or not isinstance(blob_b, bytes):
        return None
    a, b = decode(blob_a).astype(np.float64), decode(blob_b).astype(np.float64)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else 0.0


A_VIEW = "\0view"  # _columns() of a view


def _columns(conn: sqlite3.Connection, table: str) -> list[str] | None:
    """The columns of `table` in the connection's own database file: never of one it has attached (Datasette's
    `_memory` database under --crossdb attaches every database, and found their storage tables through an
    unqualified name: hidden rows' stored text in its search hits, an outside tester, session 18)."""
    kind = conn.execute(
        "select type, sql from main.sqlite_master where type in ('table', 'view') and name = ? collate nocase",
        [table],
    ).fetchone()
    if kind is None:
        return None
    if kind[0] != "table" or is_virtual(kind[1]):
        # A view of that name, or a virtual table (FTS over an endless view), is the database's own, not storage:
        # read as storage, an endless one kept every SQL thread busy for ever from a table page's action links
        # (two outside testers, session 36).
        return [A_VIEW]
    rows = conn.execute(f"pragma main.table_info({quote(table)})").fetchall()
    return [row[1] for row in rows] or None


def _conflict(table: str, found: list[str], wanted: tuple[str, ...], tables: StoreTables) -> SchemaConflict:
    suggestion = "llm_" if not tables.prefix else tables.prefix + "llm_"
    what = (
        f"a view or virtual table named {table!r}"
        if found == [A_VIEW]
        else f"a table named {table!r} with columns ({', '.join(found)})"
    )
    return SchemaConflict(
        f"The database already has {what}, which is not "
        f"datasette-llm's embeddings storage ({', '.join(wanted)}). It is left untouched. Set a table prefix "
        f"to store embeddings elsewhere: `table_prefix: {suggestion}` in the datasette-llm plugin settings, or "
        f"--table-prefix {suggestion} on the command line.",
        table=table,
    )


def store_state(conn: sqlite3.Connection, tables: StoreTables, *, write: bool = False) -> bool:
    """True when the storage tables exist; raises SchemaConflict when a user table took one of the names."""
    found = {}
    for table, wanted in (
        (tables.collections, COLLECTION_COLUMNS),
        (tables.embeddings, EMBEDDING_COLUMNS if write else EMBEDDING_READ_COLUMNS),
    ):
        columns = _columns(conn, table)
        if columns is not None and not set(wanted) <= set(columns):
            raise _conflict(table, columns, wanted, tables)
        found[table] = columns is not None
    if found[tables.collections] != found[tables.embeddings]:
        missing = tables.embeddings if found[tables.collections] else tables.collections
        present = tables.collections if found[tables.collections] else tables.embeddings
        if write:
            raise SchemaConflict(
                f"The database has a table {present!r} but no {missing!r}, so it is not embeddings storage; it is "
                f"left untouched. Set table_prefix (e.g. `llm_`) to store embeddings elsewhere.",
                table=present,
            )
        return False
    return found[tables.collections]


def ensure_store(conn: sqlite3.Connection, tables: StoreTables) -> None:
    """Create the storage tables (llm's final schema) unless they exist; never alters a user's table.

    All of them or none, in one transaction: Python's sqlite3 opens none for CREATE, so each statement was its own,
    and `embed` killed between two of them left a `collections` table without `embeddings`, which every later run
    refused, or storage without llm's migration records for good (an outside tester, session 40)."""
    if store_state(conn, tables, write=True):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not store_state(conn, tables, write=True):  # another process may have made it meanwhile
            _create_store(conn, tables)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _create_store(conn: sqlite3.Connection, tables: StoreTables) -> None:
    c, e = quote(tables.collections), quote(tables.embeddings)
    conn.execute(f"CREATE TABLE {c} ([id] INTEGER PRIMARY KEY, [name] TEXT, [model] TEXT)")
    conn.execute(f"CREATE UNIQUE INDEX {quote('idx_' + tables.collections + '_name')} ON {c} ([name])")
    conn.execute(
        f"CREATE TABLE {e} (\n   [collection_id] INTEGER REFERENCES {c}([id]),\n   [id] TEXT,\n"
        "   [embedding] BLOB,\n   [content] TEXT,\n   [content_blob] BLOB,\n   [content_hash] BLOB,\n"
        "   [metadata] TEXT,\n   [updated] INTEGER,\n   PRIMARY KEY ([collection_id], [id])\n)"
    )
    conn.execute(f"CREATE INDEX {quote('idx_' + tables.embeddings + '_content_hash')} ON {e} ([content_hash])")
    if not tables.prefix:
        _record_llm_migrations(conn)


def _record_llm_migrations(conn: sqlite3.Connection) -> None:
    # The layout sqlite-utils' Migrations creates (newest form: integer id, unique (migration_set, name)).
    if _columns(conn, MIGRATIONS_TABLE) is None:
        conn.execute(
            f"CREATE TABLE {MIGRATIONS_TABLE} ([id] INTEGER PRIMARY KEY, [migration_set] TEXT, "
            "[name] TEXT, [applied_at] TEXT)"
        )
        conn.execute(
            f"CREATE UNIQUE INDEX idx_{MIGRATIONS_TABLE}_migration_set_name "
            f"ON {MIGRATIONS_TABLE} ([migration_set], [name])"
        )
    applied = {
        row[0]
        for row in conn.execute(f"select name from {MIGRATIONS_TABLE} where migration_set = ?", [LLM_MIGRATION_SET])
    }
    now = str(datetime.datetime.now(datetime.timezone.utc))
    conn.executemany(
        f"insert into {MIGRATIONS_TABLE} (migration_set, name, applied_at) values (?, ?, ?)",
        [(LLM_MIGRATION_SET, name, now) for name in LLM_MIGRATIONS if name not in applied],
    )


def list_collections(conn: sqlite3.Connection, tables: StoreTables, *, counts: bool = False) -> list[Collection]:
    """Every collection (with row counts if asked: that scans the index); empty without storage tables."""
    if not store_state(conn, tables):
        return []
    count = f"(select count(*) from {quote(tables.embeddings)} e where e.collection_id = c.id)" if counts else "0"
    rows = conn.execute(
        f"select c.id, c.name, c.model, {count} from {quote(tables.collections)} c order by c.name"
    ).fetchall()
    return [Collection(*row) for row in rows]


def get_collection(conn: sqlite3.Connection, tables: StoreTables, name: str) -> Collection:
    for collection in list_collections(conn, tables):
        if collection.name == name:
            return collection
    names = [c.name for c in list_collections(conn, tables)]
    raise NotFound(
        f"No embeddings collection named {name!r}. Collections: {', '.join(names) or 'none'}.", collections=names
    )


def create_collection(conn: sqlite3.Connection, tables: StoreTables, name: str, model: str) -> Collection:
    ensure_store(conn, tables)
    with conn:
        conn.execute(f"insert or ignore into {quote(tables.collections)} (name, model) values (?, ?)", [name, model])
    return get_collection(conn, tables, name)


def set_collection_model(
    conn: sqlite3.Connection, tables: StoreTables, collection: Collection, model: str
) -> Collection:
    """Empty a collection and switch its model (re-embedding with another model)."""
    with conn:
        conn.execute(f"delete from {quote(tables.embeddings)} where collection_id = ?", [collection.id])
        conn.execute(f"update {quote(tables.collections)} set model = ? where id = ?", [model, collection.id])
    return Collection(collection.id, collection.name, model, 0)


def delete_collection(conn: sqlite3.Connection, tables: StoreTables, name: str) -> None:
    collection = get_collection(conn, tables, name)
    with conn:
        conn.execute(f"delete from {quote(tables.embeddings)} where collection_id = ?", [collection.id])
        conn.execute(f"delete from {quote(tables.collections)} where id = ?", [collection.id])


def collection_signature(conn: sqlite3.Connection, tables: StoreTables, collection_id: int) -> tuple:
    """Changes whenever rows are added, replaced or removed: (count, max rowid, max updated, sum of updated). The
    sum catches a vector updated in place with a new stamp that is not above the newest (sqlite-utils' upsert, as
    llm's own `embed` writes, keeps the rowid; an outside tester, session 37). Not caught here: a vector changed in
    place with its stamp kept, or the newest deleted and another inserted with its stamp (SQLite gives it the
    freed rowid): no cheap aggregate reads the vectors themselves. Within the second of the newest stamp, where
    llm's own writes do that, the index re-reads after any write instead (embeddings/index.unsettled)."""
    e = quote(tables.embeddings)
    # llm's older schema has no `updated`; the rowid still moves on every insert or replace.
    has_updated = "updated" in (_columns(conn, tables.embeddings) or [])
    updated = "max(updated), total(updated)" if has_updated else "0, 0"
    return tuple(
        conn.execute(
            f"select count(*), max(rowid), {updated} from {e} where collection_id = ?", [collection_id]
        ).fetchone()
    )


def read_vectors(conn: sqlite3.Connection, tables: StoreTables, collection_id: int) -> tuple[list[str], np.ndarray]:
    """All ids and vectors of a collection as one (n, d) float32 matrix, decoded a chunk of blobs at a time.

    Rows whose vector length differs from the collection's most common one (a corrupt or mixed-model row) are
    skipped, and so are vectors that are no float32 vector at all: text, a length that is no multiple of 4, more
    than MAX_VECTOR_BYTES (a 6-byte or a text vector made every search of the instance a 500; a 100 MB one was
    read and kept for the server's life: an outside tester, session 36).
    """
    e = quote(tables.embeddings)
    vectors = (
        "collection_id = ? and typeof(embedding) = 'blob' and length(embedding) between 4 and ? "
        "and length(embedding) % 4 = 0"
    )
    # The collection's length is its most common one, not the first row's: one short vector with the lowest id
    # set every good one aside (an outside tester, session 37). SQLite reads a blob's length without the blob.
    common = conn.execute(
        f"select length(embedding) from {e} where {vectors} group by 1 order by count(*) desc, 1 limit 1",
        [collection_id, MAX_VECTOR_BYTES],
    ).fetchone()
    if common is None:
        return [], np.zeros((0, 0), dtype=np.float32)
    size = common[0]
    cursor = conn.execute(
        f"select id, embedding from {e} where {vectors} and length(embedding) = ?",
        [collection_id, MAX_VECTOR_BYTES, size],
    )
    ids: list[str] = []
    parts: list[np.ndarray] = []
    while True:
        rows = cursor.fetchmany(20000)
        if not rows:
            break
        ids.extend(str(row[0]) for row in rows)
        # One join + frombuffer per chunk: decoding blob by blob costs a Python call per row.
        parts.append(np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4").reshape(len(rows), size // 4))
    if not parts:
        return [], np.zeros((0, 0), dtype=np.float32)
    return ids, np.concatenate(parts).astype(np.float32, copy=False)


def read_hashes(conn: sqlite3.Connection, tables: StoreTables, collection_id: int) -> dict[str, bytes | None]:
    return {
        str(row[0]): row[1]
        for row in conn.execute(
            f"select id, content_hash from {quote(tables.embeddings)} where collection_id = ?",
            [collection_id],
        )
    }
