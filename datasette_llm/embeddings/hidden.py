"""Keep the embeddings storage out of Datasette's table lists.

Datasette 0.65 hides a table when metadata says `hidden: true` for it, which the `get_metadata` hook answers.
The hook is synchronous and called for every metadata lookup, so the answer (which of our tables a database
holds) is read with a short read-only sqlite3 connection and cached until the database file changes.

Datasette 1.0 alphas have no `get_metadata` hook: a table is hidden by `hidden: true` in the configuration
(datasette.yaml `databases: db: tables: t: hidden: true`), which `Database.hidden_table_names()` reads on
every call. `hide_in_config` writes those entries for our tables, at start-up and before each HTTP request
(web/body_limits.py's wrapper), so tables that `datasette llm embed` creates while the server runs are hidden
from the next page on; it removes only entries it added itself.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

from .. import permissions
from ..errors import DatasetteLLMError
from ..sql.names import fold
from .index import file_stamp
from .store import LLM_MIGRATION_SET, MIGRATIONS_TABLE, StoreTables, store_state

logger = logging.getLogger(__name__)
_cache: dict = {}
_cache_lock = threading.Lock()
_inside = threading.local()
MEMORY_TTL = 1.0  # seconds an in-memory database's answer is reused (it has no file to stat)


def hidden_tables_metadata(datasette, key, database, table) -> dict:
    """`get_metadata` hook body: `{"databases": {db: {"tables": {name: {"hidden": True}}}}}` for our tables."""
    if database in (None, "_internal") or key not in (None, "tables", "hidden") or getattr(_inside, "active", False):
        return {}
    _inside.active = True  # settings_for() reads metadata, which calls this hook again
    try:
        names = storage_tables(datasette, database)
    finally:
        _inside.active = False
    if not names:
        return {}
    return {"databases": {database: {"tables": {name: {"hidden": True} for name in names}}}}


def hide_in_config(datasette) -> None:
    """Datasette 1.0: mark the storage tables of every database `hidden` in `datasette.config`."""
    if getattr(datasette, "config", None) is None:
        datasette.config = {}
    marked = datasette.__dict__.setdefault("_datasette_llm_hidden", {})  # database -> names we marked
    for database in list(datasette.databases):
        if database == "_internal":
            continue
        names = set(storage_tables(datasette, database))
        previous = marked.get(database, set())
        if names == previous:
            continue
        databases = datasette.config.setdefault("databases", {})
        tables = databases.setdefault(database, {}).setdefault("tables", {})
        for name in previous - names:
            entry = tables.get(name) or {}
            entry.pop("hidden", None)
            if not entry:
                tables.pop(name, None)
        ours = set()
        for name in names - previous:
            entry = tables.setdefault(name, {})
            if "hidden" not in entry:  # an admin's own `hidden:` stands, and stays when our table goes
                entry["hidden"] = True
                ours.add(name)
        marked[database] = (previous & names) | ours
        if not tables:
            databases[database].pop("tables", None)
            if not databases[database]:
                databases.pop(database)


def config_wrapper(datasette):
    """Datasette 1.0's asgi_wrapper: `hide_in_config` before each HTTP request (cached by file stamp)."""

    def wrapper(app):
        async def hide_then_serve(scope, receive, send):
            if scope.get("type") == "http":
                try:
                    hide_in_config(datasette)
                except Exception:  # hiding is cosmetic: never fail a request over it
                    logger.warning("datasette-llm: could not mark the storage tables hidden", exc_info=True)
            await app(scope, receive, send)

        return hide_then_serve

    return wrapper


def storage_tables(datasette, database: str, *, when_unreadable: str = "none") -> tuple[str, ...]:
    """Names of the plugin's storage tables present in a database (cached until the file changes). A database
    that cannot be read just now (locked, say) is not cached, and gives () or, with when_unreadable="assume",
    the names the storage tables would have (permissions deny those rather than show what they cannot check)."""
    from ..config import settings_for

    try:
        db = permissions.get_database(datasette, database)
        prefix = settings_for(datasette).table_prefix or ""
    except DatasetteLLMError:
        return ()
    stamp = file_stamp(db)
    cache_key = (id(datasette), database, prefix)
    with _cache_lock:
        cached = _cache.get(cache_key)
    if (
        cached
        and cached[0] == (getattr(db, "path", None), stamp)
        and (stamp is not None or time.monotonic() - cached[1] < MEMORY_TTL)
    ):
        return cached[2]
    names = _detect(db, StoreTables(prefix))
    if names is None:
        tables = StoreTables(prefix)
        return (tables.collections, tables.embeddings) if when_unreadable == "assume" else ()
    with _cache_lock:
        _cache[cache_key] = ((getattr(db, "path", None), stamp), time.monotonic(), names)
    return names


def _connect(db) -> sqlite3.Connection | None:
    if getattr(db, "memory_name", None):
        return sqlite3.connect(f"file:{db.memory_name}?mode=memory&cache=shared", uri=True)
    if getattr(db, "path", None) and not getattr(db, "is_memory", False):
        # As Datasette opens it: read-only, and an immutable one (`-i`) as immutable, or SQLite made its -wal and
        # -shm files beside a WAL-mode database served immutable (an outside tester's system-call oracle, session 43).
        mode = "?mode=ro" if getattr(db, "is_mutable", True) else "?mode=ro&immutable=1"
        return sqlite3.connect(Path(db.path).resolve().as_uri() + mode, uri=True)
    return None


def _stores(conn: sqlite3.Connection, tables: StoreTables) -> list[tuple[str, str, str]]:
    """(prefix, collections, embeddings) as the database names them, of every embeddings store in it, under the
    configured prefix or any other: one written by `datasette llm embed --table-prefix other_`, or before the
    setting changed, holds stored text too, and was open to anyone on Datasette's table pages (an outside tester,
    session 39). A pair of tables with llm's columns is a store; a table of the user's that only shares a name is
    not."""
    # As SQLite compares names (sql/names.fold): "Ö_" is not "ö_".
    names = {fold(name): name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
    suffix = len("embeddings")
    prefixes = {fold(tables.prefix)} | {name[:-suffix] for name in names if name.endswith("embeddings")}
    stores = []
    for prefix in sorted(prefixes):
        candidate = StoreTables(names.get(prefix + "embeddings", prefix + "embeddings")[:-suffix])
        try:
            if store_state(conn, candidate):
                stores.append((prefix, names[fold(candidate.collections)], names[fold(candidate.embeddings)]))
        except DatasetteLLMError:  # a user's table that only shares a name
            continue
    return stores


def _detect(db, tables: StoreTables) -> tuple[str, ...] | None:
    """The storage tables of `db`, or None when it cannot be read just now."""
    try:
        conn = _connect(db)
    except sqlite3.Error:
        return None
    if conn is None:
        return ()
    try:
        stores = _stores(conn, tables)
        if not stores:
            return ()
        names = [name for _, collections, embeddings in stores for name in (collections, embeddings)]
        if any(not prefix for prefix, _, _ in stores):
            # The migrations table is shared with other sqlite-utils users: hide it only when it is llm's alone.
            sets = (
                conn.execute(f"select distinct migration_set from {MIGRATIONS_TABLE}").fetchall()
                if conn.execute("select 1 from sqlite_master where name = ?", [MIGRATIONS_TABLE]).fetchone()
                else None
            )
            if sets is not None and {row[0] for row in sets} <= {LLM_MIGRATION_SET}:
                names.append(MIGRATIONS_TABLE)
        return tuple(names)
    except sqlite3.Error:
        return None
    except DatasetteLLMError:
        return ()
    finally:
        conn.close()
