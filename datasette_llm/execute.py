"""Run guarded SQL through Datasette's database object: read-only, time-limited, row-capped, and under an
SQLite authorizer that allows only reads of the tables the actor may see and safe functions.

The sqlglot guard is the first wall; this is the second. Even a statement the guard wrongly accepted
cannot write, attach, read another table or call a file function here.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from .errors import DatasetteLLMError

DENIED_FUNCTIONS = frozenset({
    "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "fsdir", "lsdir", "zipfile",
    "sqlite_dbpage", "sqlite_dbdata", "sqlar_compress", "sqlar_uncompress",
})
TABLE_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "foreign_key_list"})
TABLE_FUNCTIONS = frozenset({"json_each", "json_tree", "generate_series"})
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})
READ_ONLY_PRAGMAS = frozenset({
    "data_version", "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "function_list", "module_list", "pragma_list", "collation_list",
})


class QueryFailed(DatasetteLLMError):
    """SQLite refused or failed the statement (syntax, time limit, authorizer)."""

    status = 400
    code = "query_failed"


class QueryTimeout(QueryFailed):
    code = "query_timeout"


@dataclass(frozen=True)
class QueryResult:
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    hit_row_cap: bool  # the query returned more rows than max_rows
    seconds: float


def make_authorizer(allowed_tables: set[str]):
    allowed = {t.lower() for t in allowed_tables}

    def authorize(action, arg1, arg2, db_name, trigger):
        if action == sqlite3.SQLITE_SELECT or action == getattr(sqlite3, "SQLITE_RECURSIVE", 33):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            if db_name is None:
                return sqlite3.SQLITE_OK  # a CTE or subquery, not a stored table
            if db_name != "main":
                return sqlite3.SQLITE_DENY
            if (arg1 or "").lower() in SCHEMA_TABLES:
                # FTS5's constructor looks at the schema; IGNORE reads NULL, so nothing can leak through it.
                return sqlite3.SQLITE_IGNORE
            name = (arg1 or "").lower()
            if name in TABLE_FUNCTIONS or (name.startswith("pragma_") and name[7:] in READ_ONLY_PRAGMAS):
                return sqlite3.SQLITE_OK
            # Reads on behalf of a virtual table (FTS shadow tables) or view come with the table name.
            if arg1 and arg1.lower() in allowed:
                return sqlite3.SQLITE_OK
            if arg1 and any(arg1.lower().startswith(name + "_") for name in allowed):
                return sqlite3.SQLITE_OK  # FTS shadow tables of a visible FTS table
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_DENY if (arg2 or "").lower() in DENIED_FUNCTIONS else sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and (arg1 or "").lower() in SCHEMA_TABLES:
            # FTS5's constructor prepares (never runs) an UPDATE of the schema; IGNORE leaves every column
            # unchanged, so even a statement that ran would write nothing.
            return sqlite3.SQLITE_IGNORE
        if action == sqlite3.SQLITE_PRAGMA:
            # Only informational pragmas are listed; an argument (a table name) cannot make them write.
            if (arg1 or "").lower() in READ_ONLY_PRAGMAS:
                # ...but describing a table the actor may not see would reveal it.
                if arg2 is not None and (arg1 or "").lower() in TABLE_PRAGMAS and arg2.lower() not in allowed:
                    return sqlite3.SQLITE_DENY
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_DENY  # every write, DDL, ATTACH, transaction control...

    return authorize


async def run_select(db, sql: str, *, allowed_tables: set[str], max_rows: int, time_limit_ms: int) -> QueryResult:
    """Execute one guarded SELECT on Datasette's read connection for `db`."""

    def work(conn):
        deadline = time.monotonic() + time_limit_ms / 1000

        def progress():
            return 1 if time.monotonic() > deadline else 0

        started = time.perf_counter()
        conn.set_authorizer(make_authorizer(allowed_tables))
        conn.set_progress_handler(progress, 1000)
        try:
            cursor = conn.execute(sql)
            rows = cursor.fetchmany(max_rows + 1)
            columns = tuple(d[0] for d in cursor.description or ())
            cursor.close()
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                raise QueryTimeout(
                    f"The query took longer than the time limit of {time_limit_ms} ms and was stopped."
                ) from None
            raise QueryFailed(f"SQLite error: {error}") from None
        except sqlite3.DatabaseError as error:
            raise QueryFailed(f"SQLite error: {error}") from None
        finally:
            conn.set_progress_handler(None, 1000)
            conn.set_authorizer(None)
        hit_cap = len(rows) > max_rows
        return QueryResult(sql, columns, tuple(tuple(r) for r in rows[:max_rows]), hit_cap,
                           time.perf_counter() - started)

    return await db.execute_fn(work)


def time_limit_for(datasette, configured_ms: int | None) -> int:
    """The plugin's limit if set, else Datasette's sql_time_limit_ms; never more than Datasette's."""
    datasette_ms = int(datasette.setting("sql_time_limit_ms") or 1000)
    return min(configured_ms, datasette_ms) if configured_ms else datasette_ms
