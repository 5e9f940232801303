"""The stored spelling put in place of a literal (STORED_SPELLING, mend.py substitute_values): the rewritten query
stands only when it finds something; when it still finds nothing, the value hint goes back to the model as if no
spelling had been put in (the other condition may be the one that is wrong). No test had a substitution that
still found nothing: a version that kept the empty rewritten query answered "no rows" with a mend listed and never
sent the hint.
"""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.fixture
def db_path(tmp_path):
    return make_pets_db(tmp_path / "pets.db")


@pytest.mark.asyncio
async def test_a_spelling_that_still_finds_nothing_is_sent_back_as_a_hint(db_path):
    model = ScriptedModel(
        [
            sql_reply("select age from dogs where name = 'r e x' and age > 100"),
            sql_reply("select age from dogs where name = 'Rex'"),
            "Rex is 9.",
        ]
    )
    result = await ask(Datasette([str(db_path)]), "pets", "How old is rex?", model=model)
    assert result.attempts[0].error_kind == "no_rows_value_mismatch"
    assert "'r e x' is not a value of dogs.name; values that exist: 'Rex'" in model.calls[1][-1]["content"]
    assert result.rows == ((9,),)
    assert not any("'r e x' → 'Rex'" in note for note in result.notes)


@pytest.mark.asyncio
async def test_a_spelling_that_finds_rows_stands_without_a_model_call(db_path):
    model = ScriptedModel([sql_reply("select age from dogs where name = 'r e x' and age > 1"), "Rex is 9."])
    result = await ask(Datasette([str(db_path)]), "pets", "How old is rex?", model=model)
    assert result.rows == ((9,),) and len(result.attempts) == 1
    assert result.attempts[0].fixes == ("'r e x' → 'Rex' (as stored in dogs.name)",)
