"""`x IN name`: SQLite reads the name after IN as a table or a CTE, never as a column (`id IN ids` is `id IN (SELECT *
FROM ids)`). The guard read it as a column and refused every such query over a visible table (an outside tester,
session 50). A generated family of left sides, spellings of the name (bare, quoted, bracketed, `main.`, any case),
tables, CTEs, a hidden table and a missing name, in WHERE, SELECT and a subquery. Oracles: SQLite itself (a query
it runs over visible names only is accepted and returns SQLite's rows), and the permission set (every spelling of
the hidden table is refused, as a missing name is)."""

from __future__ import annotations

import itertools
import random
import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

VISIBLE = {"dogs", "ids"}


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        """
        create table dogs (id integer primary key, name text, owner_id int);
        insert into dogs values (1, 'Rex', 2), (2, 'Fido', 3), (3, 'Max', 9);
        create table ids (id int);
        insert into ids values (2), (3);
        create table secret (id int);
        insert into secret values (1);
        """
    )
    return connection


def spellings(name: str, rng: random.Random) -> list[str]:
    mixed = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in name)
    return [name, name.upper(), mixed, f'"{name}"', f"[{mixed}]", f"`{name}`", f"main.{mixed}", f'MAIN."{name}"']


def queries(name: str, rng: random.Random) -> list[str]:
    out = []
    for spelled, left, shape in itertools.product(spellings(name, rng), ["id", "owner_id", "id + 1"], range(4)):
        condition = f"{left} in {spelled}"
        out.append(
            [
                f"select id, name from dogs where {condition} order by id",
                f"select id, {condition} as hit from dogs order by id",
                f"select id from dogs where not {condition} and id in (select id from dogs where {condition})",
                f"with kept as (select id from ids) select id from dogs where {condition} or id in kept order by id",
            ][shape]
        )
    return out


def _sqlite_rows(conn, sql):
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.Error:
        return None


@pytest.mark.parametrize("name", ["ids", "kept"])
def test_a_visible_table_or_cte_after_in_is_accepted_and_read_as_sqlite_reads_it(conn, name):
    schema = SchemaInfo.from_connection(conn, include=VISIBLE)
    rng = random.Random(51)
    checked = 0
    for sql in queries(name, rng):
        if name == "kept":  # a CTE in scope, whatever case it is spelt in
            sql = f"with kept as (select id from ids) {sql}" if not sql.startswith("with") else sql
            if "main." in sql.lower():
                continue  # main.kept is a table that does not exist
        expected = _sqlite_rows(conn, sql)
        assert expected is not None, sql  # the family holds only queries SQLite runs
        result = check_select(sql, schema)
        assert isinstance(result, GuardedSQL), (sql, result)
        assert conn.execute(result.sql).fetchall() == expected, sql
        checked += 1
    assert checked >= 48


@pytest.mark.parametrize("name", ["secret", "nothing"])
def test_a_hidden_or_missing_table_after_in_is_refused_alike(conn, name):
    schema = SchemaInfo.from_connection(conn, include=VISIBLE)
    reasons = set()
    for sql in queries(name, random.Random(52)):
        result = check_select(sql, schema)
        assert not isinstance(result, GuardedSQL), sql
        reasons.add(result.kind)
    assert reasons <= {"unknown_table", "forbidden_table"}, reasons
