"""A question is read without the white space around it, and its limit (`max_question_chars`) counts what is left:
exactly the limit is asked, one character more is a 400, and white space around a question at the limit never
tips it over. The question the model and the result see is the stripped one (ask/question.py check_question; an
outside tester's gaps Q02, Q03 and Q13, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import load_settings
from datasette_llm.errors import BadRequest

LIMIT = 40


@pytest.fixture
def datasette(tmp_path):
    return Datasette([str(make_pets_db(tmp_path / "pets.db"))])


def at_most(chars):
    return load_settings({"max_question_chars": chars}, {})


@pytest.mark.asyncio
async def test_a_question_of_exactly_the_limit_is_asked_and_one_more_is_refused(datasette):
    question = "How many dogs are there? " + "x" * (LIMIT - 25)
    assert len(question) == LIMIT
    model = ScriptedModel([sql_reply("select count(*) from dogs"), "3."])
    result = await ask(datasette, "pets", question, model=model, settings=at_most(LIMIT))
    assert result.ok and result.question == question
    with pytest.raises(BadRequest, match=f"{LIMIT + 1:,} characters long; the limit is {LIMIT:,}"):
        await ask(datasette, "pets", question + "y", model=ScriptedModel([]), settings=at_most(LIMIT))


@pytest.mark.asyncio
async def test_white_space_around_a_question_is_neither_counted_nor_sent(datasette):
    question = "How many dogs are there? " + "x" * (LIMIT - 25)
    model = ScriptedModel([sql_reply("select count(*) from dogs"), "3."])
    result = await ask(datasette, "pets", "  \n\t" + question + " \n  ", model=model, settings=at_most(LIMIT))
    assert result.ok and result.question == question
    assert model.calls[0][-1]["content"].endswith(f"Question: {question}")
