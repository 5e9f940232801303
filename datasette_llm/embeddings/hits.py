"""The rows behind the ranked ids: fetched from their tables (or the stored content), long values clipped, linked
to their row pages, as SearchHits."""

from __future__ import annotations

import json
import re
import sqlite3

from datasette.database import QueryInterrupted

from .. import permissions
from ..sql.clipping import clip_text, clipped_columns
from ..sql.execute import forget_statements, select_names
from ..sql.names import quote_identifier as quote
from ..sql.snapshot import StaleSchema, at_version, with_deadline
from .results import SearchHit
from .source import row_id
from .targets import Target

CLIP_CHARS = 300
# A hit shows its row's keys and its first columns, at most HIT_COLUMNS of them and HIT_CHARS characters of names and
# values; the rest are counted (`columns_left_out`) and on the row's page. Every column came back: 100 hits of a
# 1,600-column table were a 52.5 MB answer (+380 MB of server memory), and MCP kept a 522,033-character first hit
# past its 20,000-character cap (an outside tester, session 59).
HIT_COLUMNS = 30
HIT_CHARS = 3_000
_BINARY = "'<binary: ' || length({value}) || ' bytes>'"  # what clip() shows of a blob, made by SQLite


def clip(value):
    if isinstance(value, str):
        return clip_text(value, CLIP_CHARS)[0]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<binary: {len(value)} bytes>"
    return value


MAX_KEY_CHARS = 1_000  # a stored id longer than this names no row a hit can show (it would be repeated 4 times)
_ROWID = re.compile(r"-?[0-9]{1,19}")


def _key_values(id_: str, pks: list[str]) -> list:
    """The key values a stored id stands for; [] for one that names no row (the store is database content: an
    id of 8 MB made a 126 MB response, a rowid of letters or of 5,000 digits every search a 500; session 28)."""
    if not isinstance(id_, str) or len(id_) > MAX_KEY_CHARS:
        return []
    if not pks:
        return [int(id_)] if _ROWID.fullmatch(id_) else []
    if len(pks) == 1:
        return [id_]
    try:
        values = json.loads(id_)
    except ValueError:
        return []
    return values if isinstance(values, list) and len(values) == len(pks) else []


def _as_stored(value) -> list:
    """The values a one-column key stored as this id's text may hold: the text, and the number it writes when it is
    one. A key column declared without a type keeps the integer 5, which SQLite never equals to the text '5': every
    row of `create table docs (id primary key, ...)` was embedded and none could be found (an outside tester,
    session 54). Where the column has a type, SQLite converts the text and the number finds the same row."""
    if not isinstance(value, str) or len(value) > 40:
        return [value]
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        if str(number) == value:
            return [value, number]
    return [value]


def _where_ids(ids: list[str], pks: list[str]) -> tuple[str | None, list]:
    """A WHERE clause and its parameters for the rows these stored ids name (None: they name none)."""
    wanted = [values for values in (_key_values(id_, pks) for id_ in ids) if values]
    if not wanted:
        return None, []
    if len(pks) <= 1:
        column = quote(pks[0]) if pks else "rowid"
        params = [value for values in wanted for value in _as_stored(values[0])]
        return f"{column} in ({', '.join('?' for _ in params)})", params
    clause = "(" + " and ".join(f"{quote(c)} = ?" for c in pks) + ")"
    return " or ".join(clause for _ in wanted), [v for values in wanted for v in values]


KEYS_A_READ = 200


async def existing_keys(datasette, keys, by_key) -> set[tuple]:
    """Which of these (db, table, id) keys name a row that exists now: vectors outlive rows deleted since the
    build, and a ranking of the vectors alone came back short (semantic search with limit 1 found nothing when
    its best row was deleted) and scaled by cosines of rows that are gone (an outside tester, session 37). Rows
    whose table cannot be read now are left out, as fetch_hits leaves them out; an llm collection's rows are its
    stored content, which exists while its vectors do."""
    groups: dict[tuple, list[str]] = {}
    for key in keys:
        groups.setdefault(key[:2], []).append(key[2])
    alive: set[tuple] = set()
    for (database, name), ids in groups.items():
        target = by_key[(database, name)]
        if target.table is None:
            alive.update((database, name, id_) for id_ in ids)
            continue
        db = permissions.get_database(datasette, database)
        pks = await db.primary_keys(target.table)
        columns = pks or ["rowid"]
        for start in range(0, len(ids), KEYS_A_READ):  # a composite key's OR chain fails at 1,000 (SQLite's depth)
            where, params = _where_ids(ids[start : start + KEYS_A_READ], pks)
            if where is None:
                continue
            try:  # the keys only
                found, _ = await _rows_at(datasette, db, target, ", ".join(map(quote, columns)), where, params, columns)
            except (sqlite3.DatabaseError, QueryInterrupted, StaleSchema):
                continue
            alive.update((database, name, row_id([row[c] for c in columns])) for row in found)
    return alive


async def fetch_hits(datasette, fused, by_key, mode) -> list[SearchHit]:
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
                if len(item.key[2]) <= MAX_KEY_CHARS:
                    rows[item.key] = ((item.key[2],), await _content_row(db, target, item.key[2]), None, 0, ())
            continue
        pks = await db.primary_keys(target.table)
        where, params = _where_ids([item.key[2] for item in items], pks)
        if where is None:
            continue
        select = "rowid, *" if not pks else "*"
        try:
            found, width = await _rows_at(
                datasette, db, target, select, where, params, pks or ["rowid"], max_columns=HIT_COLUMNS
            )
        except (sqlite3.DatabaseError, QueryInterrupted, StaleSchema):
            continue  # the rows stay out (broken, too slow, or the schema changed since); other tables' hits come back
        for row in found:
            id_ = row_id([row[c] for c in pks] if pks else [row["rowid"]])
            url = datasette.urls.row(database, target.table, path_from_row_pks(row, pks, not pks))
            values = tuple(row[c] for c in pks) if pks else (row["rowid"],)
            shown = _within(row, pks or ["rowid"])
            rows[(database, name, id_)] = (values, shown, url, width - len(shown), tuple(pks or ["rowid"]))
    hits = []
    for item in fused:
        if item.key not in rows:
            continue
        values, row, url, left_out, key_columns = rows[item.key]
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
                left_out,
                key_columns,
            )
        )
    return hits


def _within(row: sqlite3.Row, keys: list[str]) -> dict:
    """The row's keys, then its columns in order while HIT_CHARS characters of names and values hold them."""
    names = row.keys()  # iterating a Row gives its values
    shown = {k: clip(row[k]) for k in keys if k in names}
    room = HIT_CHARS - sum(len(k) + len(str(v)) for k, v in shown.items())
    for column in names:
        if column in shown:
            continue
        value = clip(row[column])
        room -= len(column) + len(str(value))
        if room < 0:
            break
        shown[column] = value
    return {column: shown[column] for column in names if column in shown}  # in the table's order


async def _rows_at(
    datasette, db, target: Target, select: str, where: str, params, keys, *, max_columns: int | None = None
) -> tuple[list, int]:
    """The rows of `select ... from` the target's table `where`, read at the schema version the target's
    visibility was decided at (sql/snapshot.py): a table swapped for a view of a hidden table since then gives
    StaleSchema, not the hidden rows. Cells come cut to what clip() shows (the keys whole): a hit of megabytes
    is never held whole. With `max_columns`, only the keys and the first columns up to that many are read.
    Returns (the rows, how many columns `select` has)."""
    limit_ms = int(datasette.setting("sql_time_limit_ms") or 1000)
    table = quote(target.table)
    width = []

    def rows(conn):
        names = select_names(conn, f"select {select} from {table}")
        width.append(len(names))
        if max_columns is not None:
            others = [name for name in names if name not in keys][: max(0, max_columns - len(keys))]
            names = [name for name in names if name in keys or name in others]
        columns = clipped_columns(names, keep=keys, text_chars=CLIP_CHARS + 1, blob=_BINARY)
        return conn.execute(f"select {columns} from {table} where {where}", params).fetchall()

    def read(conn):
        try:
            found = with_deadline(conn, limit_ms, lambda: rows(conn))
        finally:
            # Each read compiles a statement of its own (one parameter a candidate, every column of the table):
            # 1.7 MB a statement for 1,500 columns, kept by Python's cache after the search (a second outside
            # tester, session 37: 100 searches held 195 MB).
            forget_statements(conn)
        if found is None:
            raise QueryInterrupted(None, f"select {select} from {table} where {where}", params)
        return found

    found = await db.execute_fn(lambda conn: at_version(conn, target.version, read))
    return found, width[0]


async def _content_row(db, target: Target, id_: str) -> dict:
    """What an llm collection without a table can show: its stored content and metadata."""
    e = quote(target.tables.embeddings)
    cut = CLIP_CHARS + 1  # what clip() shows, cut by SQLite: a stored content of megabytes is never held whole
    result = await db.execute(
        f"select substr(content, 1, {cut}), substr(metadata, 1, {cut}) from {e} where collection_id = ? and id = ?",
        [target.collection.id, id_],
    )
    if not result.rows:
        return {"id": id_}
    content, metadata = result.rows[0][0], result.rows[0][1]
    return {"id": id_, "content": clip(content), "metadata": clip(metadata)}
