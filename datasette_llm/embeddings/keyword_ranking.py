"""The keyword ranking: SQLite full-text search (FTS5's rank, FTS4's BM25, FTS3's matches) over the tables that
have it."""

from __future__ import annotations

import sqlite3

from datasette.database import QueryInterrupted

from .. import permissions
from ..sql.failures import public_read_failure
from ..sql.names import quote_identifier as quote
from ..sql.policy import fts_module
from ..timing import clock
from .ranking import fts_query
from .source import row_id


async def keyword_ranking(datasette, actor, targets, q, depth, timings, notes):
    """BM25 ranking over every target table with full-text search, as ((db, table, id), score)."""
    started = clock()
    match = fts_query(q)
    ranked: list[tuple[tuple, float]] = []
    for target in targets if match else []:
        if not target.table:
            continue
        db = permissions.get_database(datasette, target.database)
        fts = await permissions.visible_fts_table(datasette, actor, target.database, target.table)
        if not fts:
            continue
        try:
            ranked += await _fts_ranking(db, target.table, fts, match, depth)
        except (sqlite3.DatabaseError, QueryInterrupted) as error:  # costs the keyword half, not the search
            failure = public_read_failure(error, "full-text search")
            notes.append(f"{target.label}: full-text search failed ({failure}); showing semantic results.")
    ranked.sort(key=lambda item: -item[1])
    timings.add("keyword", started)
    return ranked[:depth]


async def _fts_ranking(db, table: str, fts: str, match: str, depth: int) -> list[tuple[tuple, float]]:
    definition = (await db.execute("select sql from sqlite_master where name = ?", [fts])).rows
    module = fts_module(definition[0][0]) if definition else None
    # More negative is better. FTS5's rank is bm25(); FTS4 has none, rank_bm25 is registered by us; FTS3's
    # matchinfo() lacks what BM25 reads ('n', 'a', 'l': every FTS3 search failed, found by a test that asks SQLite's
    # own MATCH, session 46), so there the row with more matches comes first (offsets() lists each match).
    if module == "fts5":
        rank = "rank"
    elif module == "fts3":
        rank = f"-length(offsets({quote(fts)}))"
    else:
        rank = f"rank_bm25(matchinfo({quote(fts)}, 'pcnalx'))"
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
        r[0]: row_id(r[1:])
        for r in (
            await db.execute(f"select rowid, {columns} from {quote(table)} where rowid in ({placeholders})", rowids)
        ).rows
    }
    return [((db.name, table, keys[row[0]]), -float(row[1])) for row in rows if row[0] in keys]
