"""After a statement overruns the guard worker's budget, that worker process is ended, and every later statement
gets its own verdict: the one check_select gives it in this process (the oracle), never the late answer the
overrun worker would still write for the statement before. Both statements here are ones the guard accepts, so
only the SQL of the verdict tells whose it is (mutation testing, session 47: keeping the overrun worker, whose
answer to the long statement then came back for the next one, and not killing it, went unnoticed)."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from datasette_llm.sql import guard_worker
from datasette_llm.sql.guard import check_select, check_select_off_loop
from datasette_llm.sql.results import Rejection, SchemaInfo


@pytest.fixture(scope="module")
def schema() -> SchemaInfo:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table docs (id integer primary key, title text)")
    return SchemaInfo.from_connection(conn)


def long_statement(terms: int = 600) -> str:
    return "select title from docs where " + " or ".join(f"(id = {i} and title <> 'x{i}')" for i in range(terms))


LATER = [
    "select id from docs",
    "select title from docs where id = 3",
    "select nope from docs",
    "select count(*) from docs",
]


def test_after_an_overrun_each_statement_gets_its_own_verdict(schema, monkeypatch):
    assert not isinstance(check_select(long_statement(), schema), Rejection)  # it would be accepted, given time
    asyncio.run(check_select_off_loop("select 1", schema))  # a worker is running
    overrun_process = guard_worker._worker.process if guard_worker._worker is not None else None
    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 0.05)
    verdict = asyncio.run(check_select_off_loop(long_statement(), schema))
    assert isinstance(verdict, Rejection) and "took longer" in verdict.reason
    monkeypatch.setattr(guard_worker, "GUARD_SECONDS", 30)
    for sql in LATER:
        assert asyncio.run(check_select_off_loop(sql, schema)) == check_select(sql, schema), sql
    if overrun_process is not None:  # the overrun worker itself is gone, not left parsing
        deadline = time.monotonic() + 5
        while overrun_process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert overrun_process.poll() is not None
