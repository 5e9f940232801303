"""A model may write its query inside a fence on one line (```SELECT name FROM dogs```, or inline in a sentence):
sql/replies.py `_fenced_blocks` reads a fence whose first word is SELECT or WITH as a bare block ("```SELECT 1```
on one line"). Nothing in the suite wrote one: with that branch dropped, the whole suite passed (an outside
tester's mutation run, session 53) while such replies gave no query at all (`select ...` in lower case) or the
query with the closing fence glued on (`SELECT name FROM dogs````), which the guard then refuses.

Generated: queries (SELECT and WITH, either case, with or without `;`) fenced on one line, alone or inside a
sentence. Oracle: SQLite runs each query as written, and extract_sql returns exactly it.
"""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql.replies import extract_sql

pytestmark = pytest.mark.no_datasette

QUERIES = [
    "SELECT name FROM dogs",
    "select name from dogs where age > 3",
    "select count(*) from dogs",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "with old as (select name from dogs where age > 3) select count(*) from old",
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_fenced_on_one_line_is_found_whole(query):
    conn = sqlite3.connect(":memory:")
    conn.execute("create table dogs (id integer primary key, name text, age integer)")
    conn.execute(query).fetchall()  # SQLite runs it as written
    conn.close()
    for end in ("", ";"):
        for reply in (
            f"```{query}{end}```",
            f"Run ```{query}{end}``` to see them.",
            f"Use:\n```{query}{end}```\nDone.",
        ):
            assert extract_sql(reply) == query, (reply, extract_sql(reply))
