"""The pipeline gives the logic checks each column's declared type: "can never hold" is said of bounds SQLite
reads as numbers on an INTEGER column, and not of the same bounds on a TEXT column, where SQLite compares them as
text and a row meets both (session 57: without the types, one was called impossible on any column)."""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import Settings

NEVER = "can never hold for one row"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("declared", "where", "stored", "impossible"),
    [
        ("INTEGER", "code < 2014.0 AND code > 2014", 2014, True),
        ("TEXT", "code > 10 AND code < 5", "2.0", False),
        ("INTEGER", "code = '0' AND code = '0.0'", 0, False),
        ("TEXT", "code = 1 AND code = 1.0", "1", True),
    ],
)
async def test_the_declared_type_decides_what_can_never_hold(tmp_path, declared, where, stored, impossible):
    path = tmp_path / "typed.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"create table things (id integer primary key, code {declared})")
        conn.execute("insert into things (code) values (?)", (stored,))
    conn.close()
    sql = f"select id from things where {where}"
    with sqlite3.connect(path) as conn:
        assert (conn.execute(sql).fetchall() == []) is impossible  # SQLite's own answer
    conn.close()
    model = ScriptedModel([sql_reply(sql), sql_reply(sql), "Done."])
    result = await ask(Datasette([str(path)]), "typed", "Which things?", model=model, settings=Settings(warm_up=False))
    said = [a.error for a in result.attempts if a.error and NEVER in a.error] + [n for n in result.notes if NEVER in n]
    assert bool(said) is impossible, (said, result.notes)
