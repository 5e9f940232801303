"""The rows answers from text come from, read as the asker: the collections whose table the actor may view, a
row's text cut by SQLite before it reaches Python, and the label a passage names its row by."""

from __future__ import annotations

from dataclasses import dataclass

from ... import permissions
from ...sql.clipping import MAX_CELL_CHARS, clipped_columns
from ...sql.execute import read_as_actor, select_names
from ...sql.failures import QueryFailed, QueryTimeout
from ...sql.names import quote_name

TITLE_COLUMNS = ("full_name", "name", "title", "label", "heading", "subject")


@dataclass(frozen=True)
class Reader:
    """Whose reads of rows these are: the tables the actor may see (sql/execute.read_as_actor), the time limit of
    one read, and the tables a question was scoped to."""

    allowed: frozenset[str]
    time_limit_ms: int
    tables: frozenset[str] | None = None  # the tables with embeddings a question was scoped to (None: all)


@dataclass(frozen=True)
class TextCollection:
    database: str
    table: str
    collection: object  # embeddings.Collection
    store: object  # embeddings.StoreTables


async def text_collections(datasette, actor, database: str, table_prefix: str = "") -> list[TextCollection]:
    """Collections in `database` whose table the actor may view."""
    try:
        from ...embeddings import StoreTables, list_collections
    except ImportError:  # pragma: no cover - embeddings are part of the package
        return []
    store = StoreTables(table_prefix)
    db = permissions.get_database(datasette, database)
    try:
        collections = await db.execute_fn(lambda conn: list_collections(conn, store))
    except Exception:  # no store tables at all, or a user's unrelated tables of those names
        return []
    visible = set(await permissions.visible_tables(datasette, actor, database, table_prefix=table_prefix))
    return [TextCollection(database, c.name, c, store) for c in collections if c.name in visible]


ROW_CELL_CHARS = MAX_CELL_CHARS  # of each text column of a row read for passages
ROW_TEXT_CHARS = 200_000  # of all of them together, given to the columns in their order


async def full_row(db, table: str, pk_values, reader: Reader) -> tuple[dict | None, list[str]]:
    """(the row, its texts cut by SQLite to ROW_CELL_CHARS a column and ROW_TEXT_CHARS in all, blobs left out;
    the columns that were cut), read as the actor (read_as_actor: a table swapped for a view of a hidden one
    since it was chosen reads nothing). Rows were read whole: 20 rows of 32 MB took an answer 0.4-1.1 GB and up
    to 2 minutes, and cut a column at a time, 4 rows of 1,990 columns of 100,000 characters still took 1.4 GB
    (two outside testers' memory oracles, session 28)."""
    pks = await db.primary_keys(table) or ["rowid"]
    where = " and ".join(f"{quote_name(pk)} = ?" for pk in pks)
    select = "rowid, *" if pks == ["rowid"] else "*"
    name = quote_name(table)

    def read(conn):
        names = select_names(conn, f"select {select} from {name}")
        lengths = conn.execute(
            f"select {', '.join(_text_length(column) for column in names)} from {name} where {where}", pk_values
        ).fetchone()
        if lengths is None:
            return None, []
        left, limits, cut = ROW_TEXT_CHARS, {}, []
        for column, length in zip(names, lengths):
            if column in pks:
                continue
            limits[column] = min(length, ROW_CELL_CHARS, left)
            left -= limits[column]
            if length > limits[column]:
                cut.append(column)
        columns = clipped_columns(names, keep=pks, text_chars=limits, blob="null")
        row = conn.execute(f"select {columns} from {name} where {where}", pk_values).fetchone()
        return (dict(row) if row is not None else None), cut

    try:
        # One read transaction: the lengths and the cut values come from the same version of the row.
        return await read_as_actor(db, reader.allowed, read, reader.time_limit_ms)
    except (QueryFailed, QueryTimeout):  # dropped or renamed since it was embedded, now reads a hidden table, slow
        return None, []


def _text_length(column: str) -> str:
    value = quote_name(column)
    return f"case typeof({value}) when 'text' then length({value}) else 0 end"


def row_text(row: dict) -> str:
    """The row's text columns as 'column: value' paragraphs."""
    parts = []
    for column, value in row.items():
        if isinstance(value, str) and value.strip() and column != "rowid":
            parts.append(f"{column}: {value.strip()}")
    return "\n\n".join(parts)


def row_label(row: dict, pk_values) -> str:
    for column in TITLE_COLUMNS:
        if isinstance(row.get(column), str) and row[column]:
            return row[column]
    return ", ".join(str(v) for v in pk_values)
