"""Stand-ins and checks for tests that run the plugin's SQL layer on a connection of their own."""

import ctypes
import sqlite3
from pathlib import Path

import pytest

from datasette_llm.sql.authorizer import make_authorizer
from datasette_llm.sql.policy import ReadPolicy


class FakeDatabase:
    """What sql/execute.py's run_select uses of a Datasette Database: a name, a path, and execute_fn."""

    name = "data"
    path = None

    def __init__(self, connection):
        self.connection = connection

    async def execute_fn(self, fn):
        return fn(self.connection)


def refused_by_the_authorizer_alone(conn: sqlite3.Connection, visible: set, sql: str, allowed: str) -> list:
    """With only make_authorizer for the `visible` tables on `conn` (no program check, as read_as_actor runs),
    SQLite refuses `sql` and still runs `allowed`, whose rows are returned."""
    conn.set_authorizer(make_authorizer(ReadPolicy.from_connection(conn, visible)))
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(sql).fetchall()
        return conn.execute(allowed).fetchall()
    finally:
        conn.set_authorizer(None)


# The signatures of the SQLite functions the memory tests read or set: (restype, argtypes).
_SIGNATURES = {
    "sqlite3_soft_heap_limit64": (ctypes.c_int64, [ctypes.c_int64]),
    "sqlite3_hard_heap_limit64": (ctypes.c_int64, [ctypes.c_int64]),
    "sqlite3_memory_used": (ctypes.c_int64, []),
    "sqlite3_memory_highwater": (ctypes.c_int64, [ctypes.c_int]),
}


def mapped_sqlite(*needed: str):
    """The libsqlite3 mapped into this process (the one _sqlite3 is linked against), found in /proc/self/maps and
    opened with ctypes, not through the plugin's own lookup (sql/memory.py): the oracle of the memory tests. Its
    functions above have their signatures; None when no shared libsqlite3 is mapped or it lacks one of `needed`."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and Path(parts[5]).name.startswith("libsqlite3"):
            library = ctypes.CDLL(parts[5])
            if not all(hasattr(library, name) for name in needed):
                return None
            for name, (restype, argtypes) in _SIGNATURES.items():
                if hasattr(library, name):
                    function = getattr(library, name)
                    function.restype, function.argtypes = restype, argtypes
            return library
    return None
