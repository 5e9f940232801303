"""Mode text and mode both read the rows' text, so on a database where the actor sees no table with embeddings they are
a 400 saying so before any model is asked, both of them (mode both first filters with SQL, but its answer is read
from text: without embeddings it would write a query and then have nothing to read). ask/pipeline.py choose_route;
an outside tester's gap P05, session 56."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.errors import BadRequest


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["text", "both"])
async def test_without_embeddings_text_and_both_are_refused_before_the_model(tmp_path, mode):
    model = ScriptedModel([sql_reply("select name from dogs"), "Rex."])
    with pytest.raises(BadRequest, match="has embeddings"):
        await ask(Datasette([str(make_pets_db(tmp_path / "pets.db"))]), "pets", "Which dogs?", model=model, mode=mode)
    assert model.calls == []
