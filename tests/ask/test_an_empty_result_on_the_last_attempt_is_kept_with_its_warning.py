"""An empty result whose literal matches no stored value is sent back with the values really stored, but not on the
last attempt: there the query stands, its empty rows are the answer's, and the literal that matched nothing is a
warning; the question never ends as "no valid query" because a hint had no attempt left (ask/write_sql.py
check_empty(may_send_back=not last); an outside tester's gap W17, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
async def test_the_last_attempts_empty_result_stands(tmp_path):
    model = ScriptedModel([sql_reply("select age from dogs where name = 'Rexx'"), "No such dog.", "spare"])
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))])
    result = await ask(datasette, "pets", "How old is Rexx?", model=model, attempts=1)
    assert result.ok and result.rows == () and len(result.attempts) == 1 and result.error is None
    assert result.sql.startswith("select age from dogs where name = 'Rexx'")
    assert any(note.startswith("warning: 'Rexx' is not a value of dogs.name") for note in result.notes), result.notes
    assert len(model.calls) == 2  # the query and the answer: nothing was sent back
