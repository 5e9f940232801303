"""An attempt whose query the guard passed and SQLite then refused is shown with the query as it ran (the guard's
LIMIT added), as the answer's own SQL is, not as the model wrote it: the attempts list is what a reader compares
with the SQL shown above it (ask/write_sql.py send_back_error; an outside tester's gap W22, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
async def test_a_query_sqlite_refused_is_shown_as_it_ran(tmp_path):
    written = "select name from dogs where age > (select age, name from dogs)"
    model = ScriptedModel([sql_reply(written), sql_reply("select count(*) from dogs"), "3"])
    result = await ask(Datasette([str(make_pets_db(tmp_path / "pets.db"))]), "pets", "How many dogs?", model=model)
    assert result.ok and result.sql == "select count(*) from dogs LIMIT 1001"
    failed = result.attempts[0]
    assert failed.error and "SQLite error" in failed.error
    assert failed.sql == f"{written} LIMIT 1001"
