"""A model's unfenced reply may name its query in the middle of a line ("The query is: SELECT ..."): upper-case
keywords are looked for anywhere (sql/replies.py `_select_candidates`: "upper-case keywords anywhere"), WITH as well
as SELECT. The suite tried WITH only at the start of a line: with WITH left out of the words looked for anywhere,
the whole suite passed (an outside tester's mutation run, session 53) while every CTE query written after prose on
its line was lost, and the first SELECT inside it, `SELECT a FROM x`, was taken instead, a query of a table that
does not exist.

Generated: CTE queries after a few words of prose on the same line, with and without a trailing `;` and prose
after a blank line. Oracle: SQLite runs the query as written, and extract_sql returns exactly it.
"""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql.replies import extract_sql

pytestmark = pytest.mark.no_datasette

QUERIES = [
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "WITH old AS (SELECT name FROM dogs WHERE age > 3) SELECT count(*) FROM old",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n",
]
LEADS = ["The query is: ", "Here it is - ", "Try this: ", "Answer = "]


@pytest.mark.parametrize("query", QUERIES)
def test_a_cte_query_after_prose_on_its_line_is_found_whole(query):
    conn = sqlite3.connect(":memory:")
    conn.execute("create table dogs (id integer primary key, name text, age integer)")
    conn.execute(query).fetchall()  # SQLite runs it as written
    conn.close()
    for lead in LEADS:
        for end in ("", ";", ";\n\nIt counts them."):
            reply = f"{lead}{query}{end}"
            assert extract_sql(reply) == query, (reply, extract_sql(reply))
