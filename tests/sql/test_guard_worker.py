"""The guard for request SQL runs in a child process: the event loop keeps turning, overruns are ended."""

from __future__ import annotations

import asyncio
import pickle
import sqlite3
import time

import pytest

from datasette_llm.fair_share import TakingTurns
from datasette_llm.sql import guard_worker
from datasette_llm.sql.guard import check_select, check_select_off_loop
from datasette_llm.sql.results import GuardedSQL, Rejection, SchemaInfo


@pytest.fixture(scope="module")
def schema() -> SchemaInfo:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table docs (id integer primary key, title text)")
    return SchemaInfo.from_connection(conn)


def long_statement(terms: int = 330) -> str:
    return "select title from docs where " + " or ".join(f"(id = {i} and title <> 'x{i}')" for i in range(terms))


def test_the_worker_gives_the_same_verdicts_as_the_guard(schema):
    async def main():
        return [
            await check_select_off_loop(sql, schema)
            for sql in ("select * from docs", "select * from secret", "delete from docs")
        ]

    accepted, unknown, write = asyncio.run(main())
    assert isinstance(accepted, GuardedSQL) and accepted.sql == "select * from docs LIMIT 1000"
    assert isinstance(unknown, Rejection) and unknown.kind == "unknown_table"
    assert isinstance(write, Rejection) and write.kind == "not_select"


def test_the_event_loop_keeps_turning_while_long_statements_are_checked(schema):
    async def main():
        await check_select_off_loop("select 1", schema)  # the worker has started
        lags = []

        async def ticker():
            while True:
                started = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - started - 0.01)

        task = asyncio.create_task(ticker())
        verdicts = await asyncio.gather(*[check_select_off_loop(long_statement(), schema) for _ in range(4)])
        task.cancel()
        return verdicts, lags

    verdicts, lags = asyncio.run(main())
    assert all(isinstance(v, GuardedSQL) for v in verdicts)
    # The parse happens in another process: the loop is never held for the length of a parse (hundreds of ms).
    assert len(lags) > 10 and max(lags) < 0.25


def test_an_overrun_is_refused_and_the_next_statement_gets_a_fresh_worker(schema, monkeypatch):
    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 0.05)

    async def overrun():
        return await check_select_off_loop(long_statement(600), schema)

    verdict = asyncio.run(overrun())
    assert isinstance(verdict, Rejection) and "took longer" in verdict.reason
    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 30)
    assert isinstance(asyncio.run(check_select_off_loop("select id from docs", schema)), GuardedSQL)


def test_an_overrun_is_never_checked_again_in_the_server(schema, monkeypatch):
    """The worker's overrun is a TimeoutError, which is an OSError: it fell through to the fallback for a worker
    that cannot start, which checked the statement again on the server's one guard thread, where nothing can stop
    it (an outside tester, session 26: 20 JOINs without ON held every later check for 60-105 s)."""
    from datasette_llm.sql import guard

    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 0.05)
    in_process = []
    monkeypatch.setattr(guard, "check_select", lambda *args, **kwargs: in_process.append(args))
    verdict = asyncio.run(check_select_off_loop(long_statement(600), schema))
    assert isinstance(verdict, Rejection) and "took longer" in verdict.reason
    assert in_process == []


def test_beyond_the_queue_the_answer_is_busy(schema, monkeypatch):
    monkeypatch.setattr(guard_worker._PLACES, "waiting", guard_worker.GUARD_QUEUE)
    with pytest.raises(guard_worker.GuardBusy) as busy:
        asyncio.run(check_select_off_loop("select 1", schema))
    assert busy.value.status == 503 and busy.value.to_json()["retry_after"] == 2
    from datasette_llm.web.responses import error_response

    response = error_response(busy.value)
    assert response.status == 503 and response.headers["Retry-After"] == "2"


def test_one_client_holds_at_most_half_the_guards_queue(schema, monkeypatch):
    """8 statements at once from one client left another client's one-line query 14-23% of the guard's places
    (an outside tester, session 38): a client holds at most half of them; past that it is a 429, and another
    client's statement is checked."""
    import threading

    from datasette_llm.fair_share import CLIENT, TooManyOfYours

    release = threading.Event()
    real_call = guard_worker._call_worker

    def held_call(payload, deadline):
        release.wait(10)
        return real_call(payload, deadline)

    monkeypatch.setattr(guard_worker, "_call_worker", held_call)
    monkeypatch.setattr(guard_worker, "_thread", TakingTurns(8))

    async def check(client):
        CLIENT.set(client)  # this task's own context
        return await check_select_off_loop("select title from docs", schema)

    async def main():
        flood = [asyncio.ensure_future(check("address:10.0.0.1")) for _ in range(guard_worker.GUARD_QUEUE // 2)]
        await asyncio.sleep(0.1)
        with pytest.raises(TooManyOfYours) as refused:
            await check("address:10.0.0.1")
        other = asyncio.ensure_future(check("address:10.0.0.2"))
        await asyncio.sleep(0.1)
        assert not other.done()  # admitted: waiting for the worker, not refused
        release.set()
        return refused.value, await asyncio.gather(*flood), await other

    refused, flood, other = asyncio.run(main())
    assert refused.status == 429 and refused.to_json()["retry_after"] == 2 and "already have 4" in refused.message
    assert all(isinstance(verdict, GuardedSQL) for verdict in [*flood, other])
    assert guard_worker._PLACES.waiting == 0 and guard_worker._PLACES.held == {}


def test_clients_take_turns_at_the_guard(schema, monkeypatch):
    """Another client's one-line query waited for every statement one client had queued: 0.53 s behind an attacker's
    four, against 0.02 s alone (an outside tester, session 38). It waits for the one being checked now."""
    import threading

    from datasette_llm.fair_share import CLIENT

    release, order = threading.Event(), []
    real_call = guard_worker._call_worker

    def held_call(payload, deadline):
        order.append(pickle.loads(payload)[0])
        if len(order) == 1:
            release.wait(10)
        return real_call(payload, deadline)

    monkeypatch.setattr(guard_worker, "_call_worker", held_call)  # on the module's own executor

    async def check(client, sql):
        CLIENT.set(client)
        return await check_select_off_loop(sql, schema)

    async def main():
        flood = [asyncio.ensure_future(check("address:10.0.0.1", f"select {n} from docs")) for n in range(4)]
        await asyncio.sleep(0.1)
        other = asyncio.ensure_future(check("address:10.0.0.2", "select title from docs"))
        await asyncio.sleep(0.1)
        release.set()
        return await asyncio.gather(*flood, other)

    assert all(isinstance(verdict, GuardedSQL) for verdict in asyncio.run(main()))
    assert order[:2] == ["select 0 from docs", "select title from docs"], order


def test_a_workers_start_does_not_count_against_the_statement(schema, monkeypatch):
    """A busy machine is not the statement's fault: the budget is the worker's CPU time on the statement alone.
    Counted in wall time from the request, a fresh worker's start (0.6 s of CPU) refused a one-line query as "took
    longer than 5 s to check; make it shorter" whenever other processes kept the cores busy."""
    guard_worker._end_worker()
    guard_worker._worker = None  # the next statement starts a fresh worker
    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 0.2)
    verdict = asyncio.run(check_select_off_loop("select id from docs", schema))
    assert isinstance(verdict, GuardedSQL), verdict


def test_a_check_that_cannot_be_done_in_time_is_busy_not_refused(schema, monkeypatch):
    guard_worker._end_worker()
    monkeypatch.setattr(guard_worker, "GUARD_WALL_SECONDS", 0.0)
    with pytest.raises(guard_worker.GuardBusy) as busy:
        asyncio.run(check_select_off_loop("select id from docs", schema))
    assert busy.value.status == 503 and "too busy" in busy.value.message
    monkeypatch.setattr(guard_worker, "GUARD_WALL_SECONDS", 30.0)
    assert isinstance(asyncio.run(check_select_off_loop("select id from docs", schema)), GuardedSQL)


def test_a_server_starts_the_worker_before_the_first_statement(schema):
    """Started by the first statement, the worker cost it about a second, which told its sender whether anyone had
    sent one since the server started (an outside tester's noninterference oracle, session 42)."""
    guard_worker._end_worker()
    guard_worker.start_in_background().join(timeout=60)
    started = guard_worker._worker
    assert started is not None and started.process.poll() is None
    began = time.monotonic()
    assert isinstance(asyncio.run(check_select_off_loop("select * from docs", schema)), GuardedSQL)
    assert guard_worker._worker is started  # the same process: the statement started none
    assert time.monotonic() - began < 30
    guard_worker.start_in_background().join(timeout=60)  # a second start leaves the running one alone
    assert guard_worker._worker is started


def test_the_worker_and_the_server_have_checked_a_statement_before_the_first_one_arrives(schema):
    """The first check imports sqlglot's SQLite dialect and lists the node types of the functions a query may call
    (474 statements parsed): done by the first statement after a start, it cost that request 0.1-0.8 s, and told
    its sender nobody had sent one since (an outside tester, session 43). Measured in the worker's CPU time."""
    from datasette_llm.sql import functions

    guard_worker._end_worker()
    functions._ALLOWED_NODES = None  # as in a fresh server process
    guard_worker.start_in_background().join(timeout=60)
    assert functions._ALLOWED_NODES is not None  # Ask checks a model's SQL in the server's own process
    pid = guard_worker._worker.process.pid
    cpu = guard_worker._cpu_seconds(pid)
    if cpu is None:
        pytest.skip("no /proc to read a process's CPU time from")
    assert isinstance(asyncio.run(check_select_off_loop("select count(*) from docs where id > 2", schema)), GuardedSQL)
    first = guard_worker._cpu_seconds(pid) - cpu
    assert first < 0.04, f"the worker's first check took {first:.2f} s of CPU"


# Checked after an overrun, each against check_select's own verdict in this process.
LATER = [
    "select id from docs",
    "select title from docs where id = 3",
    "select nope from docs",
    "select count(*) from docs",
]


def test_after_an_overrun_each_statement_gets_its_own_verdict(schema, monkeypatch):
    """After a statement overruns the guard worker's budget, that worker process is ended, and every later statement
    gets its own verdict: the one check_select gives it in this process (the oracle), never the late answer the
    overrun worker would still write for the statement before. Both statements here are ones the guard accepts, so
    only the SQL of the verdict tells whose it is (mutation testing, session 47: keeping the overrun worker, whose
    answer to the long statement then came back for the next one, and not killing it, went unnoticed)."""
    assert not isinstance(check_select(long_statement(600), schema), Rejection)  # it would be accepted, given time
    asyncio.run(check_select_off_loop("select 1", schema))  # a worker is running
    overrun_process = guard_worker._worker.process if guard_worker._worker is not None else None
    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 0.05)
    verdict = asyncio.run(check_select_off_loop(long_statement(600), schema))
    assert isinstance(verdict, Rejection) and "took longer" in verdict.reason
    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 30)
    for sql in LATER:
        assert asyncio.run(check_select_off_loop(sql, schema)) == check_select(sql, schema), sql
    if overrun_process is not None:  # the overrun worker itself is gone, not left parsing
        deadline = time.monotonic() + 5
        while overrun_process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert overrun_process.poll() is not None
