"""A question asked for its SQL alone (`sql_only`: the CLI's --sql-only, no answer written) whose query returned more
rows than `max_rows` says so in its notes, as every other result cut at the row cap does (ask/pipeline.py; an outside
tester's gap P18, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import load_settings


@pytest.mark.asyncio
async def test_a_sql_only_result_over_the_row_cap_is_noted(tmp_path):
    model = ScriptedModel([sql_reply("select name from dogs")])
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))])
    settings = load_settings({"max_rows": 2}, {})
    result = await ask(datasette, "pets", "Name the dogs", model=model, settings=settings, sql_only=True)
    assert result.answer is None and len(result.rows) == 2 and result.row_cap_hit and result.truncated
    assert "the query returned more than 2 rows; the first 2 are shown" in result.notes
    assert len(model.calls) == 1
