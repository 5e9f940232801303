"""A CTE is visible in every statement nested inside the statement whose WITH defines it, even when a nearer
statement has a WITH of its own that does not name it (SQLite resolves a name through every enclosing WITH). The
guard resolves names the same way: a query that reads such a CTE from inside a nested WITH (in a scalar subquery, a
derived table, an EXISTS, another CTE's body) is accepted with SQLite's rows, whether the CTE shares its name with a
hidden table (`secret`), a visible one (`users`) or none (`t`), in any case of letters.

A generated family of statements through `/-/llm/query.json` and MCP `query`, as an actor denied `secret`; the
oracle is SQLite itself: the statement run on the same file under an authorizer that records every table SQLite
reads, which must be none of the stored tables, and whose rows the API must return.
(Mutation testing, session 50: `_cte_in_scope` stopping at the nearest WITH refused all of these and no test failed.)
"""

import itertools
import sqlite3

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for, mcp_tool

OUTER_NAMES = ["secret", "SECRET", '"secret"', "users", "Users", "t"]
INNER_NAMES = ["m", "users", "t2"]
SHAPES = [
    "with {o} as (select 7 as n) select (with {i} as (select 2 as k) select n from {o}) as v",
    "with {o} as (select 7 as n) select * from (with {i} as (select 2 as k) select n from {o}) as d",
    "with {o} as (select 7 as n), w2 as (with {i} as (select 3 as k) select n from {o}) select n from w2",
    "with {o} as (select 7 as n) select n from {o} where exists (with {i} as (select 1 as k) select 1 from {o})",
    "with {o} as (select 7 as n) select (select (with {i} as (select 1 as k) select max(n) from {o})) as v",
]


def statements():
    for shape, outer, inner in itertools.product(SHAPES, OUTER_NAMES, INNER_NAMES):
        if inner.strip('"').lower() == outer.strip('"').lower():
            continue
        yield shape.format(o=outer, i=inner)


def sqlite_reads(conn: sqlite3.Connection, sql: str):
    """(rows, the stored tables SQLite read) for `sql` run directly on the file: every table the authorizer sees a
    column of, and every table whose b-tree (or an index's) the compiled program opens. (A read of no column, as in
    `count(*)`, reaches the authorizer with the CTE's name and no column: only the program tells them apart.)"""
    read = set()

    def authorizer(action, arg1, arg2, db_name, source):
        if action == sqlite3.SQLITE_READ and arg2:
            read.add(arg1)
        return sqlite3.SQLITE_OK

    pages = dict(conn.execute("select rootpage, tbl_name from sqlite_master where rootpage > 0"))
    for row in conn.execute("explain " + sql):
        if row[1] in ("OpenRead", "OpenWrite") and row[4] == 0 and row[3] in pages:
            read.add(pages[row[3]])

    conn.set_authorizer(authorizer)
    try:
        rows = [list(row) for row in conn.execute(sql)]
    finally:
        conn.set_authorizer(None)
    return rows, read


@pytest.mark.asyncio
async def test_a_cte_is_seen_through_nested_withs(tmp_path):
    path = build_db(tmp_path / "db.db", big=False)
    ds = datasette_for(path, HIDE_SECRET)
    conn = sqlite3.connect(path)
    stored = {name for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
    checked = 0
    for sql in statements():
        rows, read = sqlite_reads(conn, sql)
        assert not (read & stored), (sql, read)  # the oracle: SQLite reads only the CTE
        response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
        assert response.status_code == 200, (sql, response.text[:300])
        assert response.json()["rows"] == rows, sql
        checked += 1
    assert checked >= 60
    # MCP's query tool goes through the same guard: a sample of the family
    for sql in list(statements())[::7]:
        rows, _ = sqlite_reads(conn, sql)
        result = (await mcp_tool(ds, "query", {"database": "db", "sql": sql}))["structuredContent"]
        assert result.get("ok") is True and result["rows"] == rows, (sql, result)


# A CTE's name is one name in any case of ASCII letters, as SQLite compares names (docs: SECURITY.md, "Names are
# compared as SQLite compares them"): defined as `SECRET` and read as `secret` it is the CTE, never the hidden table.
# (A CTE that shares a VISIBLE table's name in another case is left out: the column check refuses it today.)
CASE_PAIRS = [
    ("SECRET", "secret"),
    ("Secret", "SECRET"),
    ("secret", "sEcReT"),
    ("T", "t"),
    ("t", "T"),
    ("Sv", "sv"),
    ("PINS", '"pins"'),
    ('"SECRET"', "secret"),
]
CASE_SHAPES = [
    "with {d} as (select 7 as n) select n from {r}",
    "with {d} as (select 7 as n) select count(*) from {r}",
    "with {d} as (select 7 as n) select (select max(n) from {r}) as v",
    "with recursive {d}(n) as (select 1 union all select n + 1 from {r} where n < 3) select n from {r}",
    "with {d} as (select 7 as n) select (with m as (select 2 as k) select n from {r}) as v",
]


@pytest.mark.asyncio
async def test_a_cte_is_one_name_in_any_case(tmp_path):
    path = build_db(tmp_path / "db.db", big=False)
    ds = datasette_for(path, HIDE_SECRET)
    conn = sqlite3.connect(path)
    stored = {name for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
    for shape, (defined, read_as) in itertools.product(CASE_SHAPES, CASE_PAIRS):
        sql = shape.format(d=defined, r=read_as)
        rows, read = sqlite_reads(conn, sql)
        assert not (read & stored), (sql, read)
        response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
        assert response.status_code == 200, (sql, response.text[:300])
        assert response.json()["rows"] == rows, sql
