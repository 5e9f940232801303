"""A JOIN relinked on its foreign key runs only if the guard accepts the relinked query (mend.py check_and_fix:
`relinked = self.guard(joins.sql)`, kept only when it is GuardedSQL). Relinking `ON b.id = b.id` under the alias
`"select"` writes `select.id`, which the guard refuses. No test had such a relink: a version that kept the
refusal sent the model the guard's parse error for SQL it never wrote (outside tester, session 56, mutant M06).
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

SQL = 'SELECT "select".name, b.x FROM "order" AS "select" JOIN b ON b.id = b.id'


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "k.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        create table "order" (id integer primary key, name text);
        create table b (id integer primary key, x text, order_id integer references "order"(id));
        insert into "order" values (1, 'one'), (2, 'two');
        insert into b values (1, 'p', 1), (2, 'q', 2);
        """
    )
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
async def test_a_relinked_join_the_guard_refuses_is_not_run(path):
    schema = SchemaInfo({"order": ("id", "name"), "b": ("id", "x", "order_id")})
    model = ScriptedModel([sql_reply(SQL)] * 4 + ["one p, two q."] * 4)
    result = await ask(Datasette([str(path)]), "k", "List the names and x", model=model)
    ran = [attempt.sql for attempt in result.attempts if attempt.sql]
    assert ran
    assert all(isinstance(check_select(sql, schema, max_rows=1001), GuardedSQL) for sql in ran)
    assert not any("could not parse" in (attempt.error or "") for attempt in result.attempts)
