"""Which embeddings collections a search covers: those of the tables (or of the storage table) the actor
may view, in the databases search is enabled for."""

from __future__ import annotations

from dataclasses import dataclass

from .. import permissions
from ..config import settings_for
from ..errors import NotFound
from ..sql.names import fold
from .store import Collection, SchemaConflict, StoreTables, list_collections


@dataclass(frozen=True)
class Target:
    database: str
    table: str | None  # None: a collection (written by llm) that matches no table
    collection: Collection
    tables: StoreTables
    version: int  # the schema version the actor's permissions were decided at (sql/snapshot.py)

    @property
    def label(self) -> str:
        return f"{self.database}/{self.table or self.collection.name}"


async def collections_in(db, store: StoreTables, notes: list[str]) -> list[Collection]:
    try:
        return await db.execute_fn(lambda conn: list_collections(conn, store))
    except SchemaConflict as error:
        notes.append(f"{db.name}: {error.message}")
        return []


async def search_targets(datasette, actor, database, table, store: StoreTables, notes: list[str]) -> list[Target]:
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
    targets: list[Target] = []
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


async def _database_targets(datasette, actor, database: str, store: StoreTables, notes: list[str]) -> list[Target]:
    db = permissions.get_database(datasette, database)
    collections = await collections_in(db, store, notes)
    if not collections:
        return []
    # A collection named after a table or view (by SQLite's case-insensitive names) is as visible as it is to Ask:
    # a view that reads a table the actor may not see is no target (an outside tester embedded such a view and
    # searched the hidden rows, session 18). Its rows are read at the schema version this was decided at.
    snapshot = await permissions.visible_snapshot(
        datasette, actor, database, table_prefix=settings_for(datasette).table_prefix
    )
    visible = {fold(name) for name in snapshot.names}
    tables = {fold(name) for name in await db.table_names() + await db.view_names()}
    targets = []
    for collection in collections:
        name = fold(collection.name)
        if name in tables:
            if name in visible:
                targets.append(Target(database, collection.name, collection, store, snapshot.version))
        # A collection that matches no table is as visible as the storage table holding it.
        elif await permissions.can_view_table(datasette, actor, database, store.embeddings):
            targets.append(Target(database, None, collection, store, snapshot.version))
    return targets


async def has_collection(datasette, database: str, table: str) -> bool:
    """Whether a table has an embeddings collection (for the table action link)."""
    store = StoreTables(settings_for(datasette).table_prefix or "")
    db = permissions.get_database(datasette, database)
    return any(c.name == table for c in await collections_in(db, store, []))
