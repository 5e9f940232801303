"""At most num_sql_threads - 1 of the plugin's statements run at once (sql/execute.py, _sql_threads_for), so that
Datasette's own reads always find a read thread free: with every thread held by a plugin statement that runs to its
time limit, Datasette answered nothing until one ended (benchmarks/attack.py --generated).

Measured, not assumed: as many endless plugin statements as Datasette has read threads are started (more than the
plugin may run at once), and Datasette's own read through the same database must answer well before any of them
could reach its time limit. For each thread count the plugin limits itself at (2 threads: one statement at a time)."""

import asyncio
import sqlite3
import time

import pytest
from datasette.app import Datasette

from datasette_llm.sql.execute import run_select

ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
TIME_LIMIT_MS = 20_000  # far longer than Datasette may take to answer here, even on a loaded machine


@pytest.mark.asyncio
@pytest.mark.parametrize("threads", [2, 3, 4])
async def test_datasettes_own_read_is_answered_while_plugin_statements_fill_the_threads(tmp_path, threads):
    path = tmp_path / "data.db"
    sqlite3.connect(path).executescript("create table items (id integer primary key); insert into items values (1);")
    datasette = Datasette([str(path)], settings={"num_sql_threads": threads, "sql_time_limit_ms": TIME_LIMIT_MS})
    db = datasette.get_database("data")
    assert (await db.execute("select count(*) from items")).rows[0][0] == 1  # threads started, schema read

    statements = [
        asyncio.ensure_future(
            run_select(db, ENDLESS, allowed_tables={"items"}, max_rows=1, time_limit_ms=TIME_LIMIT_MS)
        )
        for _ in range(threads)
    ]
    try:
        await asyncio.sleep(0.5)  # the statements that may run have begun
        assert not any(s.done() for s in statements), [s.exception() for s in statements if s.done()]
        started = time.monotonic()
        try:
            answer = await asyncio.wait_for(db.execute("select count(*) from items"), timeout=8)
        except asyncio.TimeoutError:
            pytest.fail(f"Datasette's own read waited more than 8 s for a thread ({threads} threads)")
        assert answer.rows[0][0] == 1
        assert time.monotonic() - started < 8
    finally:
        for statement in statements:
            statement.cancel()
        await asyncio.gather(*statements, return_exceptions=True)


@pytest.mark.asyncio
@pytest.mark.parametrize("threads", [1, 2, 3])
async def test_plugin_statements_still_run_however_few_the_threads(tmp_path, threads):
    """The other side of the limit: with one read thread (nothing to keep free) or more, plugin statements run, one
    after another, and answer what SQLite answers; none waits for a slot that never comes."""
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("create table items (id integer primary key, v int)")
    conn.executemany("insert into items values (?, ?)", [(i, i * i % 97) for i in range(500)])
    conn.commit()
    sql = "select v, count(*) from items group by v order by v"
    expected = [tuple(row) for row in conn.execute(sql).fetchall()]
    conn.close()
    db = Datasette([str(path)], settings={"num_sql_threads": threads}).get_database("data")
    runs = [run_select(db, sql, allowed_tables={"items"}, max_rows=1000, time_limit_ms=5000) for _ in range(4)]
    try:
        results = await asyncio.wait_for(asyncio.gather(*runs), timeout=20)
    except asyncio.TimeoutError:
        pytest.fail(f"plugin statements did not run with {threads} read thread(s)")
    assert all(list(result.rows) == expected for result in results)


@pytest.mark.asyncio
async def test_a_statement_given_up_ends_as_given_up(tmp_path):
    """A request given up (its client left: web/disconnect.py cancels it) ends cancelled, as asyncio says a task does,
    and its statement stops; it is not handed back as a result of None to whatever awaited it."""
    path = tmp_path / "data.db"
    sqlite3.connect(path).executescript("create table items (id integer primary key); insert into items values (1);")
    db = Datasette([str(path)]).get_database("data")
    task = asyncio.ensure_future(run_select(db, ENDLESS, allowed_tables={"items"}, max_rows=1, time_limit_ms=20_000))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)
    assert task.cancelled()
    started = time.monotonic()  # the thread is free again at once: the statement stopped
    assert (await asyncio.wait_for(db.execute("select count(*) from items"), timeout=10)).rows[0][0] == 1
    assert time.monotonic() - started < 10
