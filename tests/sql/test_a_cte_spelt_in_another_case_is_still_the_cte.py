"""A CTE that shares a visible table's name in another letter case (`WITH TAGS AS (...) SELECT n FROM tags`) is one
name to SQLite, which compares names in any ASCII case: the CTE hides the table. The guard's tables check read it so,
but its column check took the reference for the stored table and refused the CTE's columns (an outside tester,
session 50). A generated family: spellings of the CTE and of its uses (bare, quoted, qualified columns), plain and
recursive CTEs, nested WITHs that shadow one another. Oracle: SQLite itself (each statement runs, reads no stored
table, and the guard's statement returns SQLite's rows); a hidden table's name used as a CTE is the CTE too."""

from __future__ import annotations

import itertools
import random
import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        """
        create table tags (id integer primary key, label text);
        insert into tags values (1, 'a'), (2, 'b');
        create table secret (pw text);
        insert into secret values ('hunter2');
        """
    )
    return connection


def cased(name: str, rng: random.Random) -> str:
    return "".join(ch.upper() if rng.random() < 0.5 else ch for ch in name)


def statements(name: str, rng: random.Random) -> list[str]:
    spellings = [name, name.upper(), name.title(), cased(name, rng)]
    out = []
    for cte, ref in itertools.product(spellings, spellings):
        quoted = f'"{ref}"' if rng.random() < 0.3 else ref
        out += [
            f"with {cte} as (select 7 as n) select n from {quoted}",
            f"with {cte} as (select 7 as n) select {ref}.n from {quoted}",
            f"with recursive {cte}(n) as (select 1 union all select n + 1 from {ref} where n < 3) select n from {ref}",
            f"with {cte} as (select 7 as n) select (select max(n) from {quoted}) as m",
            f"with {cte} as (select 1 as n) select n from (with {ref} as (select 2 as n) select n from {quoted})",
        ]
    return out


@pytest.mark.parametrize("name", ["tags", "secret"])
def test_a_cte_named_like_a_table_in_another_case_is_the_cte(conn, name):
    schema = SchemaInfo.from_connection(conn, include={"tags"})
    for sql in statements(name, random.Random(51)):
        expected = conn.execute(sql).fetchall()
        result = check_select(sql, schema)
        assert isinstance(result, GuardedSQL), (sql, result)
        assert conn.execute(result.sql).fetchall() == expected, sql
        assert "hunter2" not in repr(expected) and ("a",) not in expected, sql  # no stored table was read
