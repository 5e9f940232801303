"""A model's reply whose query does not parse is still handed on (sql/replies.py `_first_select`: "broken SQL is
still worth handing to the validator for feedback"), so that the guard's real reason goes back to the model in the
repair prompt instead of "no query found". SQL keywords are case-insensitive, and models write SELECT in upper case
as often as in lower case: with the check made case-sensitive (`statement[:6] == "select"`), the whole suite passed
(an outside tester's mutation run, session 53) while every broken query a model wrote as `SELECT ...` or `Select ...`
was dropped and only a lower-case one reached the guard.

Generated: broken SELECTs (a missing FROM table, a misspelt keyword, an unclosed parenthesis) spelt in every case,
bare, after a line of prose and in a ```sql fence. Oracle: SQLite refuses each statement (it really is broken), and
extract_sql hands the statement back, as written, whatever its case.
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from datasette_llm.sql.replies import extract_sql

pytestmark = pytest.mark.no_datasette

BROKEN = [
    "select name from",
    "select name frm dogs where age > 3",
    "select count(* from dogs",
    "select name, from dogs",
    "select name from dogs where",
]


def spellings(statement: str, rng: random.Random) -> list[str]:
    head, rest = statement[:6], statement[6:]
    mixed = "".join(c.upper() if rng.random() < 0.5 else c for c in head)
    return [head + rest, head.upper() + rest.upper(), head.upper() + rest, head.capitalize() + rest, mixed + rest]


@pytest.mark.parametrize("statement", BROKEN)
def test_a_broken_select_reaches_the_guard_whatever_its_case(statement):
    conn = sqlite3.connect(":memory:")
    conn.execute("create table dogs (id integer primary key, name text, age integer)")
    rng = random.Random(statement)
    for spelt in spellings(statement, rng):
        with pytest.raises(sqlite3.Error):  # SQLite refuses it: the guard's reason is what the model needs
            conn.execute(spelt)
        for reply in (spelt, f"{spelt};", f"Here is the query:\n{spelt}", f"```sql\n{spelt};\n```"):
            assert extract_sql(reply) == spelt, (reply, extract_sql(reply))
    conn.close()
