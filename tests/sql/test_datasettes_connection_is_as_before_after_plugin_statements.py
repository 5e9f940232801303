"""A plugin statement borrows one of Datasette's read connections and changes it while it runs: the authorizer,
a progress handler (time limit, memory budget, cancellation), SQLite's length and LIKE-pattern limits. When it ends,
however it ends (rows, refused, timed out, too big, failed), the connection must answer Datasette's own reads as it
did before: a progress handler left behind interrupts Datasette's later reads once the plugin's deadline has passed,
an authorizer left behind refuses Datasette its own tables, a limit left behind fails its long values.

The oracle is SQLite itself: each of Datasette's reads, run on the borrowed connection (one read thread, so it is the
same connection) after the plugin statement's deadline has passed, gives what a fresh connection to the file gives."""

import asyncio
import random
import sqlite3

import pytest
from datasette.app import Datasette

from datasette_llm.sql.execute import read_as_actor, run_select
from datasette_llm.sql.failures import QueryFailed, QueryTimeout

ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
PLUGIN_STATEMENTS = [
    "select count(*) from items",  # rows
    "select * from items",  # cut at max_rows
    "select code from secret",  # refused by the authorizer
    ENDLESS,  # stopped at the time limit
    "select length(randomblob(2000000))",  # past the length limit
    "select count(*) from items where name like '" + "%a" * 400 + "'",  # past the LIKE pattern limit
    "select nonsense(",  # fails to compile
]
# Datasette's own reads: of every table, hidden ones too, each long enough for a progress handler to run, one of a
# value longer than the plugin's length limit and one with a pattern longer than its LIKE limit.
DATASETTE_READS = [
    ("select count(*), sum(length(name)) from items", ()),
    ("select code, length(code) from secret", ()),
    ("select length(big), substr(big, 1, 10) from blobs", ()),
    ("select count(*) from items where name like ?", ("%" + "_" * 600 + "%",)),
    ("select count(*) from items a, items b where a.id < 50 and b.id < 50", ()),
]


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("create table items (id integer primary key, name text)")
    conn.executemany("insert into items values (?, ?)", [(i, f"item {i} " + "x" * (i % 700)) for i in range(3000)])
    conn.execute("create table secret (id integer primary key, code text)")
    conn.execute("insert into secret values (1, 'hunter2')")
    conn.execute("create table blobs (big text)")
    conn.execute("insert into blobs values (?)", ("y" * 2_500_000,))
    conn.commit()
    conn.close()
    return path


def fresh_answers(path):
    conn = sqlite3.connect(path)
    try:
        return [conn.execute(sql, args).fetchall() for sql, args in DATASETTE_READS]
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_the_borrowed_connection_answers_datasette_as_a_fresh_one_after_any_plugin_statement(path):
    expected = fresh_answers(path)
    datasette = Datasette([str(path)], settings={"num_sql_threads": 1})
    db = datasette.get_database("data")
    rng = random.Random(4747)
    statements = [("select", sql) for sql in PLUGIN_STATEMENTS] + [("read", sql) for sql in PLUGIN_STATEMENTS]
    rng.shuffle(statements)
    for kind, sql in statements:
        limit_ms = 100
        try:
            if kind == "select":
                await run_select(db, sql, allowed_tables={"items"}, max_rows=10, time_limit_ms=limit_ms)
            else:
                await read_as_actor(db, {"items"}, lambda conn, sql=sql: conn.execute(sql).fetchmany(10), limit_ms)
        except (QueryFailed, QueryTimeout):
            pass
        await asyncio.sleep(limit_ms / 1000 + 0.1)  # past the plugin statement's deadline

        def datasettes_reads(conn):
            answers = []
            for read, args in DATASETTE_READS:
                try:
                    answers.append([tuple(row) for row in conn.execute(read, args).fetchall()])
                except sqlite3.Error as error:
                    answers.append(f"{type(error).__name__}: {error}")
            return answers

        got = await db.execute_fn(datasettes_reads)
        assert got == expected, (kind, sql[:60], [(g, e) for g, e in zip(got, expected) if g != e])


@pytest.mark.asyncio
async def test_the_plugins_own_reads_end_as_their_statements_did(path):
    """read_as_actor, the plugin's own reads of rows: one that runs past its time limit is a QueryTimeout (measured:
    it ran at least that long), one that reads a table the actor may not see is a QueryFailed; neither comes back
    as a result (None) the caller would take for rows."""
    import time

    db = Datasette([str(path)]).get_database("data")
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        slow = "select count(*) from items a, items b, items c"  # 27 billion rows: only a time limit ends it
        await read_as_actor(db, {"items"}, lambda conn: conn.execute(slow).fetchall(), 200)
    assert time.monotonic() - started >= 0.2
    with pytest.raises(QueryFailed):
        await read_as_actor(db, {"items"}, lambda conn: conn.execute("select code from secret").fetchall(), 2000)
    rows = await read_as_actor(db, {"items"}, lambda conn: conn.execute("select count(*) from items").fetchall(), 2000)
    assert [tuple(r) for r in rows] == [(3000,)]
