"""Describe the databases and tables an actor may see: columns with types, keys, row counts.

Only what the actor may view is described, and nothing points outside it: foreign keys to tables the actor
cannot see are left out, and no CREATE statement is shown (a view's SQL or a REFERENCES clause would name
hidden tables).
"""

from __future__ import annotations

import sqlite3

from datasette.utils import table_column_details

from .. import permissions
from ..config import settings_for
from ..errors import BadRequest
from ..sql.clipping import clipped_columns
from ..sql.execute import foreign_keys_of, select_names
from ..sql.names import quote_identifier
from ..sql.snapshot import SchemaChanged, StaleSchema, at_version, with_deadline
from .schema_caps import brief_table

COUNT_TIME_LIMIT_MS = 50  # per table; a table too big to count this fast gets row_count null
FAST_COUNT_BYTES = 64 * 1024 * 1024  # a file this small is counted with SQLite's one-instruction count
ROW_COUNT_LIMIT = 2**62  # more rows than a table holds: there only to keep the count in steps a deadline can stop
EXAMPLE_ROWS = 3
EXAMPLE_MAX_CHARS = 3000


async def resolve_database(datasette, actor, database: str | None) -> str:
    """The database to use: the one named (if the actor may see it) or the only visible one.

    An unknown or hidden database is a 404 that lists only the databases the actor may see.
    """
    visible = await permissions.visible_databases(datasette, actor)
    if database is None or database == "":
        if len(visible) == 1:
            return visible[0]
        raise BadRequest(f"Say which database to use. Databases: {', '.join(visible) or 'none'}.", databases=visible)
    if not isinstance(database, str):
        raise BadRequest("database must be a string.")
    if database not in visible:
        raise permissions.database_not_found(database, visible)
    return database


async def visible_table_names(datasette, actor, database: str) -> list[str]:
    settings = settings_for(datasette)
    return await permissions.visible_tables(datasette, actor, database, table_prefix=settings.table_prefix)


async def resolve_table(datasette, actor, database: str, table) -> str:
    if not isinstance(table, str) or not table:
        raise BadRequest("Say which table to describe.")
    names = await visible_table_names(datasette, actor, database)
    if table not in names:
        raise permissions.table_not_found(database, table, names)
    return table


def _table_details(conn, name: str, is_view: bool, visible: set[str]) -> dict:
    """Runs in Datasette's read thread."""
    columns = [
        {"name": c.name, "type": c.type or None, "primary_key": bool(c.is_pk), "not_null": bool(c.notnull)}
        for c in table_column_details(conn, name)
        if c.hidden != 1  # 1: virtual-table hidden columns
    ]
    foreign_keys = (
        []
        if is_view
        else [
            {"column": column, "other_table": other, "other_column": other_column}
            # Not Datasette 0.65's get_outbound_foreign_keys, which quotes a name with [...]: a table named `a]b`
            # made every schema listing of its database a 503 for good (an outside tester, session 36).
            for column, other, other_column in foreign_keys_of(conn, name)
            if other in visible
        ]
    )
    primary_keys = [c["name"] for c in columns if c["primary_key"]]
    return {
        "name": name,
        "type": "view" if is_view else "table",
        "columns": columns,
        "primary_keys": primary_keys,
        "foreign_keys": foreign_keys,
    }


def _example_rows(conn, name: str) -> tuple[tuple, list] | None:
    """(columns, up to EXAMPLE_ROWS rows) of a table, or None when it is too slow to read or broken."""

    def read():
        # Cut by SQLite just past what a row may show whole (longer cells are clipped by cap_rows anyway), so rows
        # of megabytes are not read whole (two outside testers, session 28): texts to EXAMPLE_MAX_CHARS + 1
        # characters, and a blob longer than EXAMPLE_MAX_CHARS bytes comes as its length, flagged in a last column.
        table = quote_identifier(name)
        names = select_names(conn, f"select * from {table}")
        quoted = [quote_identifier(column) for column in names]
        big = f"case when length({{value}}) > {EXAMPLE_MAX_CHARS} then length({{value}}) else {{value}} end"
        flags = " || ".join(f"(typeof({q}) = 'blob' and length({q}) > {EXAMPLE_MAX_CHARS})" for q in quoted)
        shown = clipped_columns(names, text_chars=EXAMPLE_MAX_CHARS + 1, blob=big)
        rows = []
        for *row, flagged in conn.execute(f"select {shown}, {flags} from {table} limit {EXAMPLE_ROWS}"):
            rows.append(tuple(_clipped_blob(v) if f == "1" else v for v, f in zip(row, str(flagged))))
        return tuple(names), rows

    try:
        return with_deadline(conn, COUNT_TIME_LIMIT_MS * 4, read)
    except sqlite3.DatabaseError:  # a broken view must not break the description
        return None


def _clipped_blob(size: int) -> dict:
    """A blob too long to show, as cap_rows shows one it clipped."""
    return {"$base64": True, "encoded": None, "bytes": size, "clipped": True}


def row_count_sql(table: str, file_bytes: int) -> str:
    """The count of a table's rows in a database file of `file_bytes`. SQLite counts a plain `select count(*) from
    t` in one instruction, where no progress handler runs, so the deadline never stopped it (an outside tester's
    data-size oracle, session 42: 0.37-0.60 s for 3,000,000 rows of a 1.67 GB file, on every request): in a file
    over FAST_COUNT_BYTES the rows are counted in steps the deadline sees. Counted so in any file, 1-2 million
    narrow rows took 34-72 ms, over the deadline, against 5-14 ms (a second tester): a small file is counted the
    fast way, in the time it takes to read at most FAST_COUNT_BYTES."""
    if file_bytes <= FAST_COUNT_BYTES:
        return f"select count(*) from {quote_identifier(table)}"
    return f"select count(*) from (select 1 from {quote_identifier(table)} limit {ROW_COUNT_LIMIT})"


async def _row_counts(db, version: int, names: list[str]) -> dict:
    """Row counts of these tables at this schema version, each in its own short read (None: unknown)."""
    cached = None if db.is_mutable else db.cached_table_counts
    counts = {}
    file_bytes = []  # the file's size, read by the first count of this request
    for name in names:
        if cached is not None and name in cached:
            counts[name] = cached[name]
            continue

        def count(conn, name=name):
            if not file_bytes:
                pages, page_size = (conn.execute(f"pragma {p}").fetchone()[0] for p in ("page_count", "page_size"))
                file_bytes.append(pages * page_size)
            sql = row_count_sql(name, file_bytes[0])
            return at_version(
                conn, version, lambda c: with_deadline(c, COUNT_TIME_LIMIT_MS, lambda: c.execute(sql).fetchone()[0])
            )

        try:
            counts[name] = await db.execute_fn(count)
        except (StaleSchema, sqlite3.DatabaseError):  # changed since, or broken: unknown
            counts[name] = None
    return counts


async def describe_tables(
    datasette, actor, database: str, only: list[str] | None = None, *, example_rows: bool = False
) -> list[dict]:
    """Every visible table and view of `database` (or just `only`), in database order, read at the schema
    version the permissions were decided at (permissions.read_visible); with example rows if asked."""
    settings = settings_for(datasette)

    def details(conn, visible):
        names = set(visible.names)
        tables = [
            _table_details(conn, name, name in visible.views, names)
            for name in visible.names
            if only is None or name in only
        ]
        for table in tables if example_rows else ():
            table["example_rows"] = _example_rows(conn, table["name"])
        return tables

    visible, tables = await permissions.read_visible(
        datasette, actor, database, details, table_prefix=settings.table_prefix
    )
    db = permissions.get_database(datasette, database)
    counts = await _row_counts(db, visible.version, [t["name"] for t in tables if t["type"] == "table"])
    for table in tables:
        table["row_count"] = counts.get(table["name"])
    return tables


async def describe_database(datasette, actor, database: str, *, brief: bool = False) -> dict:
    tables = await describe_tables(datasette, actor, database)
    if brief:
        tables = [brief_table(table) for table in tables]
    return {
        "name": database,
        "can_execute_sql": await permissions.can_execute_sql(datasette, actor, database),
        "tables": tables,
    }


async def describe_databases(datasette, actor, database: str | None = None, *, brief: bool = False) -> dict:
    """{"databases": [...]} for every database the actor may see, or only `database` (404 if hidden)."""
    settings = settings_for(datasette)
    if database:
        names = [await resolve_database(datasette, actor, database)]
    else:
        names = await permissions.visible_databases(datasette, actor)
    return {
        "ok": True,
        "databases": [await describe_database(datasette, actor, name, brief=brief) for name in names],
        "limits": {"query_max_rows": settings.query_max_rows, "query_max_chars": settings.query_max_chars},
    }


async def describe_table(datasette, actor, database: str | None, table: str, *, example_rows: bool = True) -> dict:
    """One table's columns, keys and row count, with a few example rows (cells clipped)."""
    from .query_api import cap_rows  # query_api imports this module

    database = await resolve_database(datasette, actor, database)
    table = await resolve_table(datasette, actor, database, table)
    described = await describe_tables(datasette, actor, database, only=[table], example_rows=example_rows)
    if not described:  # dropped or hidden since it was resolved: the same 404 as if it had been then
        await resolve_table(datasette, actor, database, table)
        raise SchemaChanged(database)
    (details,) = described
    details = {"ok": True, "database": database, **details}
    if example_rows:
        read = details.pop("example_rows")
        if read is None:  # a slow or broken view must not break this
            details["example_rows"] = None
        else:
            columns, rows = read
            capped = cap_rows(columns, rows, max_rows=EXAMPLE_ROWS, max_chars=EXAMPLE_MAX_CHARS, cell_chars=200)
            details["example_rows"] = {"columns": list(capped.columns), "rows": list(capped.rows), "note": capped.note}
    return details
