"""Stand-ins and checks for tests that run the plugin's SQL layer on a connection of their own."""

import sqlite3

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
