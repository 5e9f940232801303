"""Past the authorizer alone, an eponymous virtual table is readable only when the policy lists it
(json_each, json_tree, the pragma_* it allows). The others SQLite offers, asked with SQLite's own module list as
the oracle: `dbstat` counts the rows of sqlite_schema (every hidden table and index) and sizes every b-tree
(mutation testing, session 46)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.policy import PRAGMA_FUNCTIONS, TABLE_FUNCTIONS

pytestmark = pytest.mark.no_datasette


def _connection():
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(
        "create table dogs (id integer primary key, name text); insert into dogs values (1, 'Rex');"
        "create table secret (id integer primary key, pw text); create index secret_pw on secret(pw);"
        "insert into secret values (1, 'hunter2');"
    )
    return conn


def _eponymous_modules() -> list[str]:
    """Every module of this SQLite that answers a SELECT without a CREATE VIRTUAL TABLE (SQLite decides)."""
    conn = _connection()
    found = []
    for (module,) in conn.execute("pragma module_list").fetchall():
        try:
            conn.execute(f'select * from "{module}"').fetchmany(1)
        except sqlite3.Error as error:
            if "no such table" in str(error):
                continue
        found.append(module)
    return sorted(found)


EPONYMOUS = _eponymous_modules()


def test_sqlite_offers_eponymous_tables_here():
    assert {"json_each", "json_tree"} <= set(EPONYMOUS)


@pytest.mark.parametrize("module", [m for m in EPONYMOUS if m.lower() not in TABLE_FUNCTIONS | PRAGMA_FUNCTIONS])
@pytest.mark.parametrize("shape", ["select * from {m}", "select d.name, x.* from dogs d, {m} x"])
def test_the_authorizer_alone_refuses_every_eponymous_table_the_policy_does_not_list(module, shape):
    _refused(shape.format(m=f'"{module}"'))


def _counts_without_authorizer(module):
    try:
        _connection().execute(f'select count(*) from "{module}"').fetchall()
    except sqlite3.Error:
        return False
    return True


@pytest.mark.parametrize(
    "module",
    [m for m in EPONYMOUS if m.lower() not in TABLE_FUNCTIONS | PRAGMA_FUNCTIONS and _counts_without_authorizer(m)],
)
def test_the_authorizer_alone_refuses_a_row_count_of_every_eponymous_table_the_policy_does_not_list(module):
    _refused(f'select count(*) from "{module}"')


def _refused(sql):
    conn = _connection()
    try:
        rows = asyncio.run(
            run_select(FakeDatabase(conn), sql, allowed_tables={"dogs"}, max_rows=100, time_limit_ms=2000)
        ).rows
    except QueryFailed:
        return
    raise AssertionError(f"{sql} ran: {rows}")


def test_the_table_functions_the_policy_lists_still_run():
    rows = asyncio.run(
        run_select(
            FakeDatabase(_connection()),
            "select value from json_each('[1,2]')",
            allowed_tables={"dogs"},
            max_rows=100,
            time_limit_ms=2000,
        )
    ).rows
    assert list(rows) == [(1,), (2,)]
