"""A number the question states may be repeated in the answer without a warning, though no row holds it ("older than
4"): the question is what the asker wrote, so it is checked with the rows (ask/pipeline.py passes the question to
the numbers check); a number neither holds is still flagged (an outside tester's gap P26, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
async def test_the_questions_numbers_are_shown_numbers(tmp_path):
    model = ScriptedModel([sql_reply("select name from dogs where age > 4"), "Rex and Bella are older than 4, not 6."])
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))])
    result = await ask(datasette, "pets", "Which dogs are older than 4?", model=model)
    assert result.rows == (("Rex",), ("Bella",))
    assert [w for w in result.warnings if "The answer mentions" in w] == [
        "The answer mentions 6, which does not appear in the rows the model was shown; check them against the table "
        "below."
    ]
