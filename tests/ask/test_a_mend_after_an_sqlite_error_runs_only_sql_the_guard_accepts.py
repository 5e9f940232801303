"""A mend made after an SQLite error runs only if the guard accepts it (mend.py mend_failed: "A deterministic fix
for an SQLite error whose cause is unambiguous, validated again; else None"). `AVG(T2.w)` over the outer row
fails with "misuse of aggregate"; the mend reads the subquery's own `items`, but there `items` is a CTE without
`w`, so the mended `AVG(items.w)` is refused by the guard. No test had a refused mend of an SQLite error: a version
that skipped the second validation ran the refusal and the question failed with an exception (outside tester,
session 56, mutant M04).
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

SQL = "SELECT name FROM items AS T2 WHERE T2.w < (WITH items AS (SELECT 1 AS z) SELECT AVG(T2.w) FROM items)"


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "k.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        create table items (id integer primary key, name text, w real);
        insert into items values (1, 'one', 1.5), (2, 'two', 3.5);
        """
    )
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
async def test_a_mend_the_guard_refuses_after_an_sqlite_error_is_not_run(path):
    schema = SchemaInfo({"items": ("id", "name", "w")})
    model = ScriptedModel([sql_reply(SQL)] * 4 + ["None."] * 4)
    result = await ask(Datasette([str(path)]), "k", "Which items weigh less than the average?", model=model)
    ran = [attempt.sql for attempt in result.attempts if attempt.sql]
    assert ran
    assert all(isinstance(check_select(sql, schema, max_rows=1001), GuardedSQL) for sql in ran)
    for attempt in result.attempts:
        if attempt.sql and attempt.error:  # the query as the model wrote it, with SQLite's own error
            assert attempt.fixes == () and "misuse of aggregate" in attempt.error
