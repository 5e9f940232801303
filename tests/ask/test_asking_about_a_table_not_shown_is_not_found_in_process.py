"""The Python API (`ask(..., tables=[...])`, which the CLI's --table uses) refuses a table the actor is not shown as it
refuses one that exists nowhere, before any model is asked: the same NotFound, naming only the tables shown; the web
and MCP layers check first, so this is the pipeline's own check (ask/pipeline.py prepare; an outside tester's gap
P02, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.errors import NotFound

HIDE_SECRET = {"databases": {"pets": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}


@pytest.mark.asyncio
async def test_a_hidden_table_and_an_absent_one_are_not_found_alike(tmp_path):
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))], metadata=HIDE_SECRET)
    messages = []
    for table in ("secret", "nosuch"):
        model = ScriptedModel([])
        with pytest.raises(NotFound) as refused:
            await ask(datasette, "pets", "How many?", model=model, tables=["dogs", table])
        assert model.calls == []
        messages.append(str(refused.value.message).replace(table, "T"))
    assert messages[0] == messages[1] == "Table 'T' does not exist in 'pets'. Tables: owners, dogs."
