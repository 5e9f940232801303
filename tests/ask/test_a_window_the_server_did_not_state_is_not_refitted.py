"""A SQL prompt a server refused as too long is fitted again and written once more only when the server said its
window and the prompt's length (`learned`): a refusal that taught nothing ends the question with that error after
one call, since a prompt fitted to the same assumed window would be refused again (ask/pipeline.py
sql_within_the_window; an outside tester's gap P24, session 56)."""

import pytest
from ask_helpers import WindowLearningModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.errors import ContextOverflow


@pytest.mark.asyncio
async def test_a_refusal_that_taught_nothing_is_not_retried(tmp_path):
    model = WindowLearningModel([sql_reply("select count(*) from dogs"), "3"], learned=False, slot="sql")
    with pytest.raises(ContextOverflow):
        await ask(Datasette([str(make_pets_db(tmp_path / "pets.db"))]), "pets", "How many dogs?", model=model)
    assert len(model.calls) == 1
