"""A SQL reply the model stopped once its statement was written (or at its token limit) ends inside its ```sql fence;
the conversation and the attempts keep it with the fence closed, as if the model had closed it, so a repair turn
never shows the model an unclosed block to continue (ask/write_sql.py _write; an outside tester's gap W26,
session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
async def test_an_open_fence_is_closed_in_the_repair_turn_and_the_attempt(tmp_path):
    model = ScriptedModel(["```sql\nselect nmae from dogs", sql_reply("select name from dogs"), "Rex, Fido, Bella."])
    result = await ask(Datasette([str(make_pets_db(tmp_path / "pets.db"))]), "pets", "Name the dogs", model=model)
    assert result.ok and result.attempts[0].error_kind == "unknown_column"
    assert model.calls[1][-2] == {"role": "assistant", "content": "```sql\nselect nmae from dogs\n```"}
    assert result.attempts[0].reply == "```sql\nselect nmae from dogs\n```"
