"""Which tables and views an actor may see in a database, decided at one schema version, and the reads made
at that version."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..compat import configured_hidden_tables, table_names
from ..sql.authorizer import read_policy
from ..sql.policy import sqlite_internal
from ..sql.snapshot import TRIES, SchemaChanged, StaleSchema, at_version, schema_version
from .checks import get_database, viewable_tables

T = TypeVar("T")

# Tables this plugin writes (llm-compatible embeddings storage); never shown to a model or a user as data.
PLUGIN_TABLE_NAMES = ("collections", "embeddings", "_sqlite_migrations")


_HIDDEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Database -> (what it was read at, names)
_HIDDEN_READING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Database -> (key, task) under way


def _schema_digest(conn) -> tuple[int, bytes] | None:
    """(the schema version, a digest of the main schema's every entry), or None when the schema changed while
    they were read. The digest: a new file at the same path with the same version does not pass for the old
    one; the version, which every change raises: a schema changed and changed back (A, B, A) while Datasette
    read its list does not pass for one that stayed (an outside tester kept B's list under A's key, session 28)."""
    version = schema_version(conn)
    rows = conn.execute("select type, name, tbl_name, sql from main.sqlite_master").fetchall()
    if schema_version(conn) != version:
        return None
    return version, hashlib.blake2b(repr([tuple(row) for row in rows]).encode("utf-8", "surrogatepass")).digest()


async def hidden_tables(db) -> frozenset[str]:
    """Datasette's `db.hidden_table_names()` (FTS shadow tables, SQLite's statistics, tables the configuration
    hides), read again only when the schema or the configuration changed. Both versions take time quadratic
    in the tables to compute it (0.65 compares every table with every hidden one; 1.0a41 reads PRAGMA
    table_list once for each table): 2,000 + 2,000 tables cost 1.0a41 minutes of CPU a question (an outside
    tester, session 27). A result is kept only when the schema (its version and digest) was the same before and
    after it was read."""
    key = (await db.execute_fn(_schema_digest), configured_hidden_tables(db))
    cached = _HIDDEN.get(db)
    if key[0] is not None and cached is not None and cached[0] == key:
        return cached[1]
    # One read for every question waiting on it, finished and kept even when those who asked for it are gone: a
    # question its client dropped left the read of 1,500 tables (4 s of CPU on 1.0a41) unkept, and the next
    # question paid it again (an outside tester, session 34).
    reading = _HIDDEN_READING.get(db)
    if reading is None or reading[0] != key or reading[1].get_loop() is not asyncio.get_running_loop():
        task = asyncio.ensure_future(_read_hidden(db, key))
        task.add_done_callback(functools.partial(_forget_read, db))
        _HIDDEN_READING[db] = reading = (key, task)
    return await asyncio.shield(reading[1])


async def _read_hidden(db, key) -> frozenset[str]:
    names = frozenset(await db.hidden_table_names())
    if key[0] is not None and (await db.execute_fn(_schema_digest), configured_hidden_tables(db)) == key:
        _HIDDEN[db] = (key, names)
    return names


def _forget_read(db, task) -> None:
    if _HIDDEN_READING.get(db, (None, None))[1] is task:  # not a newer read that took its place
        del _HIDDEN_READING[db]
    if not task.cancelled():
        task.exception()  # retrieved: nobody may be left to await it


async def listed_tables(db) -> list[str]:
    """The database's tables in creation order, without SQLite's own tables, FTS shadow tables or tables hidden
    in the configuration (before any actor's permission is asked)."""
    hidden = await hidden_tables(db)
    return [t for t in await table_names(db) if t not in hidden and not sqlite_internal(t)]


@dataclass(frozen=True)
class VisibleTables:
    """The tables and views an actor may see, decided at one schema version (sql/snapshot.py)."""

    names: tuple[str, ...]
    views: frozenset[str]
    version: int
    listed: frozenset[str] = frozenset()  # every table and view listed before permissions (not ours, not SQLite's)


async def visible_snapshot(
    datasette, actor, database: str, *, include_views: bool = True, table_prefix: str = ""
) -> VisibleTables:
    """Tables (and views) the actor may see, without SQLite's own tables, FTS shadow tables, hidden tables or
    our own tables, with the schema version they were decided at: no change of the schema came between the
    reads of names they were decided from (else they are decided again; SchemaChanged after TRIES)."""
    db = get_database(datasette, database)
    own = {table_prefix + name for name in PLUGIN_TABLE_NAMES}
    for _ in range(TRIES):
        before = await db.execute_fn(schema_version)
        names = [t for t in await listed_tables(db) if t not in own]
        views = await db.view_names() if include_views else []
        names += views
        listed = frozenset(names)
        names = await viewable_tables(datasette, actor, database, names)
        # A view that reads a table the actor may not see is left out: the authorizer cannot tell such a view's
        # reads from a query's own, so it would refuse it anyway (sql/policy.py).
        try:
            policy = await db.execute_fn(
                lambda conn, names=names, before=before: at_version(conn, before, lambda c: read_policy(c, db, names))
            )
        except StaleSchema:
            continue
        kept = tuple(t for t in names if policy.may_read(t))
        return VisibleTables(kept, frozenset(views).intersection(kept), before, listed)
    raise SchemaChanged(database)


async def visible_tables(
    datasette, actor, database: str, *, include_views: bool = True, table_prefix: str = ""
) -> list[str]:
    """The names of visible_snapshot()."""
    snapshot = await visible_snapshot(
        datasette, actor, database, include_views=include_views, table_prefix=table_prefix
    )
    return list(snapshot.names)


async def read_visible(
    datasette, actor, database: str, read: Callable[..., T], *, table_prefix: str = ""
) -> tuple[VisibleTables, T]:
    """(what the actor may see, `read(conn, visible)`), the read done in one transaction at the schema version
    the permissions were decided at: column lists and example rows of exactly the tables that were checked."""
    db = get_database(datasette, database)
    for _ in range(TRIES):
        visible = await visible_snapshot(datasette, actor, database, table_prefix=table_prefix)
        try:
            return visible, await db.execute_fn(
                lambda conn, visible=visible: at_version(conn, visible.version, lambda c: read(c, visible))
            )
        except StaleSchema:
            continue
    raise SchemaChanged(database)
