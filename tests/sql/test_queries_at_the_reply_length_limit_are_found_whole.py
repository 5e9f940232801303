"""Ask takes a query of at most 4,000 characters from a model (sql/replies.py MAX_SQL_CHARS; ask/mend.py refuses a
longer one with "write one of at most ..."), and extract_sql parses a query up to that length, so one of exactly
4,000 characters is handed on whole.
Nothing in the suite wrote a query of exactly 4,000 characters: with the parse limit made exclusive (`>=`), the
whole suite passed (an outside tester's mutation run, session 53) while a WITH query of exactly 4,000 characters,
which Ask accepts, was lost ("no query found").

Generated: WITH and SELECT queries of 3,990-4,000 characters (a long string literal), bare and in a ```sql fence.
Oracle: SQLite runs each query, and extract_sql returns it whole.
"""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql.replies import MAX_SQL_CHARS, extract_sql

pytestmark = pytest.mark.no_datasette


def query_of(length: int, head: str) -> str:
    tail = "' AS a) SELECT a FROM x" if head.startswith("WITH") else "' AS a"
    pad = length - len(head) - len(tail)
    assert pad > 0
    return f"{head}{'p' * pad}{tail}"


@pytest.mark.parametrize("head", ["WITH x AS (SELECT '", "SELECT '"])
def test_a_query_at_the_length_limit_is_found_whole(head):
    assert MAX_SQL_CHARS == 4_000  # the documented limit (ask/mend.py's message names it)
    conn = sqlite3.connect(":memory:")
    for length in range(3_990, MAX_SQL_CHARS + 1):
        query = query_of(length, head)
        assert len(query) == length
        assert len(conn.execute(query).fetchall()) == 1  # SQLite runs it
        for reply in (query, f"{query};", f"```sql\n{query};\n```"):
            assert extract_sql(reply) == query, (length, reply[:40])
    conn.close()
