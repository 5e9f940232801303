"""trim(), ltrim() and rtrim() (their names bare or quoted) take a 'literal' set of characters to remove of at
most MAX_TRIM_CHARACTERS characters: for generated sets of every length around the limit, the guard accepts a call
exactly when the set is not longer than the limit, and an accepted statement returns what SQLite returns for the
text as written (mutation testing, session 47: refusing a set of exactly the limit went unnoticed)."""

from __future__ import annotations

import random
import sqlite3

import pytest

from datasette_llm.sql.functions import MAX_TRIM_CHARACTERS
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

SCHEMA = SchemaInfo({"words": ("w",)})
LENGTHS = [1, MAX_TRIM_CHARACTERS // 2, MAX_TRIM_CHARACTERS - 1, MAX_TRIM_CHARACTERS, MAX_TRIM_CHARACTERS + 1]
CALLS = ["trim(w, {s})", "ltrim(w, {s})", "rtrim(w, {s})", '"trim"(w, {s})', "[ltrim](w, {s})"]


def _set(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("abcxyz .-'é") for _ in range(length))


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.execute("create table words (w text)")
    connection.executemany("insert into words values (?)", [("xa.b-ca z",), ("'é'",), ("  a  ",), ("abc",)])
    return connection


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("length", LENGTHS)
def test_a_set_up_to_the_limit_runs_as_sqlite_runs_it(conn, call, length):
    for seed in range(3):
        characters = _set(length, seed)
        literal = "'" + characters.replace("'", "''") + "'"
        sql = f"select {call.format(s=literal)} as v from words"
        expected = conn.execute(sql).fetchall()  # SQLite accepts every one of them
        guarded = check_select(sql, SCHEMA)
        assert isinstance(guarded, GuardedSQL) == (len(characters) <= MAX_TRIM_CHARACTERS), (sql, guarded)
        if isinstance(guarded, GuardedSQL):
            assert conn.execute(guarded.sql).fetchall() == expected
