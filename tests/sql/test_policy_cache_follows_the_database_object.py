"""The second wall's cached read policy belongs to one database object: a database made after another was freed
(CPython often gives it the same id()), with the same name, path and schema version but other tables, gets the
verdicts its own schema gives, the same as with no cache at all. Keyed by id() alone, it took the first one's policy:
the second wall counted a hidden table's rows and refused a visible table (an outside tester's mutation run,
session 47)."""

from __future__ import annotations

import asyncio
import random
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql import authorizer
from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed

pytestmark = pytest.mark.no_datasette

NAMES = ["pub", "secret", "notes", "other", "logs"]


def _connection(rng: random.Random) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    for name in rng.sample(NAMES, rng.randrange(2, len(NAMES) + 1)):
        conn.execute(f"create table {name} (id integer primary key, v text)")
        conn.execute(f"insert into {name} (v) values ('x')")
    return conn


def _verdicts(database, visible: set) -> list:
    outcomes = []
    for name in NAMES:
        try:
            result = asyncio.run(
                run_select(
                    database, f"select count(*) from {name}", allowed_tables=visible, max_rows=5, time_limit_ms=2000
                )
            )
            outcomes.append(result.rows)
        except QueryFailed:
            outcomes.append("refused")
    return outcomes


def test_a_database_object_gets_its_own_policy_whatever_its_id():
    rng = random.Random(47)
    reused = 0
    for _ in range(60):
        connections = [_connection(rng), _connection(rng)]  # open while the first object is freed
        (table,) = visible = {rng.choice([row[0] for row in connections[0].execute("select name from sqlite_master")])}
        first = FakeDatabase(connections[0])
        first_id = id(first)
        asyncio.run(run_select(first, f"select * from {table}", allowed_tables=visible, max_rows=5, time_limit_ms=2000))
        del first  # freed at once (no refusal's traceback holds it): the next object often takes its place
        second = FakeDatabase(connections[1])
        reused += id(second) == first_id
        cached = _verdicts(second, visible)
        authorizer._POLICIES.clear()
        assert cached == _verdicts(second, visible), visible
    assert reused >= 5, "no database object got a freed one's id: the case was not tried"
