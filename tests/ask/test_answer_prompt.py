"""What an answer's prompt holds: a local model reads the rows without the SQL it wrote a moment before (the
rows' order said in words), a follow-up question and a model that reads fast keep the SQL."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.answer import MAX_ORDER_CHARS, answer_query
from datasette_llm.ask.pipeline import ask


class LocalModel(ScriptedModel):
    """A scripted model that keeps prompt states, as the local llama.cpp model does."""

    prompt_cache = True


@pytest.fixture
def datasette(tmp_path):
    return Datasette([str(make_pets_db(tmp_path / "pets.db"))])


async def answer_prompt(datasette, sql, model_class=LocalModel, history=None, question="Which dogs are oldest?"):
    model = model_class([sql_reply(sql), "Rex, then Bella."])
    result = await ask(datasette, "pets", question, model=model, history=history)
    assert result.ok and result.answer == "Rex, then Bella.", (result.error, result.answer)
    (messages,) = model.calls[1:]  # the SQL's call, then the answer's
    return messages[-1]["content"]


@pytest.mark.asyncio
async def test_a_local_model_reads_the_rows_without_the_sql_and_their_order_in_words(datasette):
    prompt = await answer_prompt(datasette, "select name, age from dogs order by age desc")
    assert "SQL that was run" not in prompt and "select" not in prompt.lower()
    assert "Question: Which dogs are oldest?" in prompt
    assert "Result (3 of 3 rows, sorted by age DESC):" in prompt
    assert "Rex" in prompt and "Bella" in prompt  # the rows themselves


@pytest.mark.asyncio
async def test_rows_in_no_order_of_the_querys_say_none(datasette):
    prompt = await answer_prompt(datasette, "select name, age from dogs where age > 4")
    assert "SQL that was run" not in prompt and "sorted" not in prompt
    assert "Result (2 of 2 rows):" in prompt


@pytest.mark.asyncio
async def test_an_order_too_long_for_a_few_words_keeps_the_sql(datasette):
    long_order = " + ".join(["age"] * (MAX_ORDER_CHARS // 6 + 1))
    sql = f"select name, age from dogs order by {long_order}"
    prompt = await answer_prompt(datasette, sql)
    assert "SQL that was run:\n" in prompt and long_order in prompt and "sorted" not in prompt


@pytest.mark.asyncio
async def test_a_model_that_reads_fast_keeps_the_sql(datasette):
    prompt = await answer_prompt(datasette, "select name, age from dogs order by age desc", model_class=ScriptedModel)
    assert "SQL that was run:\nselect name, age from dogs order by age desc" in prompt
    assert "sorted" not in prompt


@pytest.mark.asyncio
async def test_a_follow_up_keeps_the_sql_its_own_words_may_not_say_what_was_counted(datasette):
    history = [{"question": "Which dogs are there?", "sql": "select name from dogs"}]
    sql = "select name, age from dogs where age > 4"
    prompt = await answer_prompt(datasette, sql, history=history, question="and the older ones?")
    assert f"SQL that was run:\n{sql}" in prompt


def test_the_order_of_a_compound_query_and_one_with_a_with_clause_is_read():
    model = LocalModel([])
    assert answer_query(model, "select a from t union select b from u order by 1 desc", False) == (
        None,
        ", sorted by 1 DESC",
    )
    assert answer_query(model, "with x as (select a from t order by a) select a from x", False) == (None, "")
    assert answer_query(model, "with x as (select a from t) select a from x order by a", False) == (
        None,
        ", sorted by a",
    )
    assert answer_query(model, "select a from t order by a", True) == ("select a from t order by a", "")
