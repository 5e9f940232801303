"""A JOIN that links nothing, relinked on its foreign key into a query the guard refuses, goes back to the model as
the JOIN that links nothing (and is warned of on the last attempt): it was dropped with the relink, and the cross
join ran on the first attempt without a word (an outside tester, session 56, F4: then through an alias named like
a keyword, which mends now quote). The relink's refusal is forced here, whatever could cause it."""

import dataclasses
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

import datasette_llm.ask.mend as mend
from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.join_links import Link, check_joins

CROSS = "SELECT a.name, b.x FROM a JOIN b ON b.id = b.id"
LINKED = "SELECT a.name, b.x FROM a JOIN b ON b.a_id = a.id"


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "k.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        create table a (id integer primary key, name text);
        create table b (id integer primary key, x text, a_id integer references a(id));
        insert into a values (1, 'one'), (2, 'two');
        insert into b values (1, 'p', 1), (2, 'q', 2);
        """
    )
    conn.commit()
    conn.close()
    return path


def test_each_change_carries_the_problem_it_mends():
    found = check_joins(CROSS, {"a": ("id", "name"), "b": ("id", "x", "a_id")}, (Link("b", "a_id", "a", "id"),))
    assert len(found.changes) == len(found.mended) == 1 and found.problems == []
    assert found.mended[0].startswith("JOIN b ON b.id = b.id does not link b to the other tables in FROM")
    assert found.mended[0].endswith("the foreign key that links it: b.a_id = a.id")


@pytest.fixture
def relinks_refused(monkeypatch):
    """The relinked query is one the guard refuses (a table that does not exist)."""

    def refused_relink(sql, columns, links):
        found = check_joins(sql, columns, links)
        if found.changes:
            found.sql = found.sql.replace("FROM a", "FROM no_such_table", 1)
        return found

    monkeypatch.setattr(mend.repairs, "JOIN_LINKS", dataclasses.replace(mend.repairs.JOIN_LINKS, apply=refused_relink))


@pytest.mark.asyncio
async def test_the_join_goes_back_to_the_model(path, relinks_refused):
    model = ScriptedModel([sql_reply(CROSS), sql_reply(LINKED), "one p, two q."])
    result = await ask(Datasette([str(path)]), "k", "List the names and x", model=model)
    assert result.attempts[0].error_kind == "unlinked_join"
    assert "JOIN b ON b.id = b.id does not link b" in model.calls[1][-1]["content"]
    assert result.rows == (("one", "p"), ("two", "q"))


@pytest.mark.asyncio
async def test_on_the_last_attempt_it_runs_with_a_warning(path, relinks_refused):
    model = ScriptedModel([sql_reply(CROSS)] * 6 + ["Four rows."] * 2)  # a repeated query is sampled again
    result = await ask(Datasette([str(path)]), "k", "List the names and x", model=model)
    assert len(result.rows) == 4  # what the database returned for the query as written
    assert any("does not link b" in note for note in result.notes), result.notes
