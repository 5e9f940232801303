"""EXCEPT and INTERSECT compare whole rows: two sides that select different columns (names against ids), or an
aggregate on one side only (an average over every row, then compared with ages), go back to the model once
(logic_checks/wrong_column.set_sides_differ). A small model copies EXCEPT from a trusted example where it does not
fit (session 56: 3 of 40 Spider questions that say "not"). No Spider gold query is doubted (test_logic_checks.py);
the oracle here is SQLite's own result for the doubted forms: the left side comes back untouched."""

import itertools
import sqlite3

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

COLUMNS = {"owners": ("id", "name", "age"), "dogs": ("id", "name", "age", "owner_id")}
LINKS = (Link("dogs", "owner_id", "owners", "id"),)
LEFT = ["name", "id", "age", "avg(age)", "count(*)"]
RIGHT = ["d.name", "d.owner_id", "d.age", "d.id", "max(d.age)"]


def doubts(sql):
    return [d for d in logic_doubts(sql, "Which owners?", COLUMNS, LINKS) if "compares whole rows" in d]


@pytest.mark.parametrize(("mine", "theirs", "word"), list(itertools.product(LEFT, RIGHT, ["EXCEPT", "INTERSECT"])))
def test_sides_are_doubted_exactly_when_they_select_different_things(mine, theirs, word):
    sql = f"SELECT {mine} FROM owners {word} SELECT {theirs} FROM dogs AS d"
    aggregate = ("(" in mine) != ("(" in theirs)
    names = {mine.split(".")[-1], theirs.split(".")[-1]}
    plain = "(" not in mine and "(" not in theirs
    linked = names == {"id", "owner_id"}
    expected = aggregate or (plain and len(names) == 2 and not linked)
    found = doubts(sql)
    assert bool(found) == expected, (sql, found)
    if found:
        assert found[0].startswith(f"{word} compares whole rows")


def test_what_the_doubt_says_is_what_sqlite_does(tmp_path):
    """Names taken away from ids leave every name; an average taken away from ages is the average of every row."""
    conn = sqlite3.connect(make_pets_db(tmp_path / "pets.db"))
    names = conn.execute("SELECT name FROM owners").fetchall()
    assert doubts("SELECT name FROM owners EXCEPT SELECT owner_id FROM dogs")
    assert conn.execute("SELECT name FROM owners EXCEPT SELECT owner_id FROM dogs").fetchall() == names
    everyone = conn.execute("SELECT avg(age) FROM dogs").fetchall()
    sql = "SELECT avg(age) FROM dogs EXCEPT SELECT age FROM dogs WHERE age > 4"
    assert doubts(sql) and conn.execute(sql).fetchall() == everyone
    conn.close()


@pytest.mark.asyncio
async def test_the_model_is_asked_once_to_select_the_same_column(tmp_path):
    db = make_pets_db(tmp_path / "pets.db")
    wrong = "SELECT name FROM owners EXCEPT SELECT owner_id FROM dogs WHERE age > 8"
    right = (
        "SELECT name FROM owners EXCEPT "
        "SELECT o.name FROM owners AS o JOIN dogs AS d ON d.owner_id = o.id WHERE d.age > 8"
    )
    model = ScriptedModel([sql_reply(wrong), sql_reply(right), "Ben."])
    result = await ask(Datasette([str(db)]), "pets", "Which owners have no dog older than 8?", model=model)
    assert result.rows == (("Ben",),) and result.attempts[0].error_kind == "doubtful_logic"
    assert "EXCEPT compares whole rows: name on its left with owner_id on its right" in model.calls[1][-1]["content"]
