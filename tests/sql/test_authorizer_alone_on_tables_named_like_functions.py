"""make_authorizer on its own (read_as_actor has no program check) refuses a hidden stored table named like each
table-valued function the policy allows: the name is a table's once one is stored under it. The existing test
runs through run_select, whose program check refused it even when the authorizer let it through (mutation
testing, session 46: `stored` holding indexes and triggers instead of tables went unnoticed)."""

from __future__ import annotations

import sqlite3

import pytest
from sql_helpers import refused_by_the_authorizer_alone

from datasette_llm.sql.policy import PRAGMA_FUNCTIONS, TABLE_FUNCTIONS

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("name", sorted(TABLE_FUNCTIONS | PRAGMA_FUNCTIONS))
@pytest.mark.parametrize("kind", ["table", "view"])
def test_a_hidden_table_or_view_named_like_a_table_function_is_refused(name, kind):
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "create table dogs (id, name); insert into dogs values (1, 'Rex');"
        "create table secret (v); insert into secret values ('LEAK');"
    )
    if kind == "table":
        conn.executescript(f'create table "{name}" (v); insert into "{name}" values (\'LEAK\');')
    else:
        conn.execute(f'create view "{name}" as select v from secret')
    sql = f'select v from "{name}"'
    assert conn.execute(sql).fetchall() == [("LEAK",)]  # SQLite reads the stored one
    assert refused_by_the_authorizer_alone(conn, {"dogs"}, sql, "select name from dogs") == [("Rex",)]
