"""What the prompt may show of each table: the tables and views the actor may see, their CREATE statements
(rebuilt from their columns when the text names anything the actor may not see) and a few example rows cut to
what a prompt shows, read once per change of the database. ask/schema.py renders them within a budget.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .. import permissions
from ..sql.clipping import clipped_columns
from ..sql.execute import foreign_keys_of
from ..sql.names import SQLITE_KEYWORDS, fold, quote_name
from ..sql.snapshot import with_deadline

EXAMPLE_ROWS = 3
EXAMPLE_CELL_CHARS = 60
EXAMPLE_ROWS_MS = 200  # a table's or view's example rows, read in at most this long


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[str, ...]
    create_sql: str
    example_rows: tuple[tuple, ...]
    # (column, referenced table, referenced column): the pairs a JOIN of the two tables should compare.
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    row_count: int | None = None
    is_view: bool = False
    primary_key: tuple[str, ...] = ()
    unique_columns: tuple[str, ...] = ()  # columns a UNIQUE index of their own holds each value of once
    column_types: tuple[str, ...] = ()  # each column's declared type, as `columns` ("" when none)

    def key_columns(self) -> tuple[str, ...]:
        """The columns that hold each value once: a one-column primary key and the UNIQUE ones."""
        return (self.primary_key if len(self.primary_key) == 1 else ()) + self.unique_columns

    @property
    def foreign_tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(other for _, other, _ in self.foreign_keys))

    def render(self, with_examples: bool = True) -> str:
        text = self.create_sql.strip().rstrip(";") + ";"
        if with_examples and self.example_rows:
            header = "\t".join(self.columns)
            lines = ["\t".join(clip_cell(value, EXAMPLE_CELL_CHARS) for value in row) for row in self.example_rows]
            text += (
                f"\n/*\n{len(self.example_rows)} example rows:\nSELECT * FROM {quote_name(self.name)} "
                f"LIMIT {EXAMPLE_ROWS};\n{header}\n" + "\n".join(lines) + "\n*/"
            )
        return text


def clip_cell(value, limit: int) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = str(value).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if len(text) > limit:
        return text[:limit] + "…"
    return text


def _table_details(
    conn, table: str, is_view: bool, visible: frozenset[str] | None = None, known: frozenset[str] | None = None
) -> TableSchema:
    """Runs inside Datasette's read thread (db.execute_fn). `visible`: the lower-case names of the tables and views
    the actor may see (None: all of them); `known`: the words a CREATE statement shown as written may hold
    (visible_words(); None: those of `visible`)."""
    if visible is None:
        visible = frozenset(fold(name) for (name,) in conn.execute(_TABLES_AND_VIEWS))
    if known is None:
        known = visible_words(conn, visible)
    (create_sql,) = conn.execute(
        "select sql from sqlite_master where name = ? and type in ('table', 'view')", [table]
    ).fetchone() or ("",)
    info = list(conn.execute(f"pragma table_info({quote_name(table)})"))
    columns = tuple(row[1] for row in info)
    primary_key = tuple(row[1] for row in sorted((row for row in info if row[5]), key=lambda row: row[5]))
    keys = () if is_view else tuple(key for key in foreign_keys_of(conn, table) if fold(key[1]) in visible)
    unique = () if is_view else _unique_columns(conn, table)
    if create_sql and _unknown_words(create_sql, known):
        # `REFERENCES hidden(id)`, a hidden name in a CHECK or a comment, must not reach a prompt: describe the table
        # from its columns and its visible keys instead of its own text. Decided by what the actor may see alone
        # (a word that is not a visible name, a keyword or a type), never by which hidden names exist: a hidden
        # table named like a visible column once changed the prompt, and so told that it exists (outside tester,
        # session 22). Constraint names (`CONSTRAINT [PK_Album]`) do not count.
        create_sql = _create_from_columns(table, info, keys)
    try:
        # Cut by SQLite to what a row shows: 3 rows of megabytes each were read whole for every question. Within a
        # time limit: a view that scans millions of rows to yield none, sorts an endless one (3.8 GB of temporary
        # files in 20 s) or aggregates 30 million rows (+1 GB) held the first question for ever (an outside
        # tester, session 36). A view that takes longer shows no example rows.
        shown = clipped_columns(columns, text_chars=EXAMPLE_CELL_CHARS + 1, blob="'<' || length({value}) || ' bytes>'")
        sql = f"select {shown} from {quote_name(table)} limit {EXAMPLE_ROWS}"
        rows = with_deadline(conn, EXAMPLE_ROWS_MS, lambda: tuple(tuple(row) for row in conn.execute(sql).fetchall()))
    except Exception:  # a broken view must not break the whole schema
        rows = None
    return TableSchema(
        table,
        columns,
        create_sql or f"CREATE TABLE {quote_name(table)} ()",
        rows or (),
        keys,
        None,
        is_view,
        primary_key,
        unique,
        tuple(row[2] or "" for row in info),
    )


def _unique_columns(conn, table: str) -> tuple[str, ...]:
    """The columns of `table` a UNIQUE index (or constraint) holds alone, without a WHERE (partial indexes do
    not hold every row)."""
    found = []
    for index in conn.execute(f"pragma index_list({quote_name(table)})"):
        if not index[2] or (len(index) > 4 and index[4]):  # not unique, or partial
            continue
        columns = [row[2] for row in conn.execute(f"pragma index_info({quote_name(index[1])})")]
        if len(columns) == 1 and columns[0] is not None:
            found.append(columns[0])
    return tuple(dict.fromkeys(found))


_TABLES_AND_VIEWS = "select name from sqlite_master where type in ('table', 'view')"
_DDL_WORD = re.compile(r"[^\s\"'`\[\]().,;=<>]+")
_CONSTRAINT_NAME = re.compile(r"""(?i)\bconstraint\s+("(?:[^"]|"")*"|\[[^\]]*\]|`(?:[^`]|``)*`|[^\s(]+)""")
_NUMBER = re.compile(r"[-+]?[\d.]+(?:e[-+]?\d+)?", re.IGNORECASE)


def visible_words(conn, visible: frozenset[str]) -> frozenset[str]:
    """The words a visible table's CREATE statement may hold and be shown as written: SQLite's keywords and the
    names of the visible tables, their columns and the words of their columns' types (lower case)."""
    words = set(SQLITE_KEYWORDS) | set(visible)
    for (name,) in conn.execute(_TABLES_AND_VIEWS):
        if fold(name) not in visible:
            continue
        for row in conn.execute(f"pragma table_info({quote_name(name)})"):
            words.add(fold(row[1]))
            words.update(fold(word) for word in re.findall(r"[A-Za-z_]\w*", row[2] or ""))
    return frozenset(words)


def _unknown_words(sql: str, known: frozenset[str]) -> bool:
    words = {fold(word) for word in _DDL_WORD.findall(_CONSTRAINT_NAME.sub("constraint", sql))}
    return any(word not in known and not _NUMBER.fullmatch(word) for word in words)


def _create_from_columns(table: str, info: list, keys) -> str:
    references = {column: (other, other_column) for column, other, other_column in keys}
    parts = []
    for _, name, kind, notnull, _default, pk in info:
        part = " ".join(p for p in (quote_name(name), kind or "") if p)
        if pk and sum(1 for row in info if row[5]) == 1:
            part += " PRIMARY KEY"
        if notnull:
            part += " NOT NULL"
        if name in references:
            other, other_column = references[name]
            part += f" REFERENCES {quote_name(other)}({quote_name(other_column)})"
        parts.append(part)
    return f"CREATE TABLE {quote_name(table)} (" + ", ".join(parts) + ")"


async def load_tables(datasette, database: str, actor, *, table_prefix: str = "") -> list[TableSchema]:
    """Every table and view the actor may see, in database order, with example rows: read at the schema version
    the permissions were decided at (permissions.read_visible), and read again only when the database changed
    (`_READ`)."""
    remember = not getattr(permissions.get_database(datasette, database), "is_memory", False)

    def details(conn, visible):
        shown = frozenset(fold(name) for name in visible.names)
        known = visible_words(conn, shown)
        read = _READ.tables(conn, (visible.version, shown, known)) if remember else {}
        for name in visible.names:
            key = (name, name in visible.views)
            if key not in read:
                read[key] = _table_details(conn, name, key[1], shown, known)
        return [read[(name, name in visible.views)] for name in visible.names]

    _, tables = await permissions.read_visible(datasette, actor, database, details, table_prefix=table_prefix)
    return tables


class _ReadTables(threading.local):
    """What each read connection last read of each table, kept until the database changes.

    Every question describes every visible table with three example rows; read again each time, a view over a
    million rows was aggregated for every question (0.6 s), and a chain of N views took time quadratic in N
    (SQLite prepares each view through all those below it: 400 views, 1.8 s a question). A connection's
    `pragma data_version` changes when another connection commits (rows or schema), read in the same read
    transaction as the rows; the schema version and the names the actor may see complete the key. Kept per
    thread (a Datasette read connection is used by one thread), for the last few keys of the last few
    connections. In-memory databases are read each time (their connections share one cache of pages)."""

    CONNECTIONS = 8
    KEYS = 4

    def __init__(self):
        self.by_connection: dict[int, tuple] = {}  # id(conn) -> (conn, {key: {(table, is_view): TableSchema}})

    def tables(self, conn, key: tuple) -> dict:
        key = (conn.execute("pragma data_version").fetchone()[0], *key)
        held = self.by_connection.pop(id(conn), None)
        kept = held[1] if held and held[0] is conn else {}
        read = kept.pop(key, None)
        if read is None:
            read = {}
            while len(kept) >= self.KEYS:
                kept.pop(next(iter(kept)))
        kept[key] = read  # the most recent last, in both
        while len(self.by_connection) >= self.CONNECTIONS:
            self.by_connection.pop(next(iter(self.by_connection)))
        self.by_connection[id(conn)] = (conn, kept)
        return read


_READ = _ReadTables()
