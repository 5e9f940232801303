"""The second wall's caches do not keep every connection and database they ever saw: statements run through
run_select on 200 short-lived databases, each then closed and dropped, leave at most a bounded number of those
connections and database objects alive (the caches are bounded; a connection holds its whole SQLite database in
memory, so a cache that only grew would hold every one).

The oracle is Python's own weak references to the connections and objects the test made, not the caches' contents.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import weakref

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select

pytestmark = pytest.mark.no_datasette

ROUNDS = 200


class Connection(sqlite3.Connection):
    """A plain connection that a weak reference can follow (sqlite3.Connection itself takes none)."""


KEPT_AT_MOST = 100  # both caches are far smaller (64 connections, 256 policies); this leaves room for either


def test_closed_connections_are_not_all_kept():
    connections, databases = [], []
    for i in range(ROUNDS):
        conn = sqlite3.connect(":memory:", check_same_thread=False, factory=Connection)
        conn.execute(f"create table t{i % 7} (id integer primary key, v text)")
        conn.execute(f"insert into t{i % 7} (v) values ('x')")
        database = FakeDatabase(conn)
        result = asyncio.run(
            run_select(
                database, f"select v from t{i % 7}", allowed_tables={f"t{i % 7}"}, max_rows=5, time_limit_ms=2000
            )
        )
        assert [list(row) for row in result.rows] == [["x"]]
        conn.close()
        connections.append(weakref.ref(conn))
        databases.append(weakref.ref(database))
        del conn, database, result
    gc.collect()
    alive_connections = sum(ref() is not None for ref in connections)
    alive_databases = sum(ref() is not None for ref in databases)
    assert alive_connections <= KEPT_AT_MOST, alive_connections
    assert alive_databases <= KEPT_AT_MOST, alive_databases
