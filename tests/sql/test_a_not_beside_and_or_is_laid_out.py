"""A NOT that sqlglot moves before its operand (`NOT b IN (...)` for `b NOT IN (...)`) reads alike where it stands as a
condition of its own, an operand of AND or OR among them (session 59): such a query is laid out one clause per line,
and SQLite returns the same rows from both. Oracle: SQLite, on the rows of a small table (outside tester 60a: a
mutant that left AND/OR out of the places a NOT may move survived)."""

import sqlite3

import pytest

from datasette_llm.sql.written_back import laid_out, written_back_as_is

QUERIES = [
    "select id from t where a = 1 and b not in (1, 2)",
    "select id from t where b not in (1, 2) or a is not null",
    "select id from t where a not between 1 and 2 and b not like 'x%'",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_a_not_beside_and_or_is_laid_out_and_returns_the_same_rows(sql):
    """Written back as is, laid out on several lines, and the same rows as the query as written."""
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (id integer primary key, a, b)")
    conn.executemany(
        "insert into t (a, b) values (?, ?)", [(a, b) for a in (None, 0, 1, 2, 3) for b in (None, 1, 2, "x1")]
    )
    assert written_back_as_is(sql)
    text = laid_out(sql)
    assert "\n" in text
    assert sorted(conn.execute(text).fetchall()) == sorted(conn.execute(sql).fetchall())
