"""The first SQL prompt and its reply fit the model's window, however small, as long as the instructions, the
question and the reply do. The schema took 60% of the window whatever the rest needed, and the examples chosen
for the question their own 240 tokens: with a window of 1,024 tokens (a small local model's, or an Ollama model
set so) a schema of 12 tables left no room for the reply of 384 tokens, and every question failed as too long,
with examples or without. Oracle, for generated windows, schema sizes and examples: the question is answered;
the first prompt and its reply fit; the examples the result lists are those in the prompt, the most similar
kept; a note says so exactly when some were left out (those a window of 100,000 tokens holds)."""

import random

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.few_shot import Shot, ShotPool
from datasette_llm.ask.pipeline import ask
from datasette_llm.config import Settings

QUESTION = "How many rows of table_1 are there?"
EXAMPLES_NOTE = "of the examples chosen for the question"


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    paths = {}
    for tables in (4, 12, 24):
        path = tmp_path_factory.mktemp("window") / f"wide{tables}.db"
        db = sqlite_utils.Database(path)
        for t in range(tables):
            row = {"id": 1, **{f"column_{c}_of_table_{t}": f"value {c}" for c in range(10)}}
            db[f"table_{t}"].insert(row, pk="id")
        db.close()
        paths[tables] = path
    return paths


def pool(count: int) -> ShotPool:
    return ShotPool(
        [
            Shot(
                f"How many rows of table_1 have value {i} in column {i}?",
                f"select count(*) from table_1 where column_{i}_of_table_1 = 'value {i}' and id > {i}",
                "example",
                i,
            )
            for i in range(count)
        ]
    )


async def asked(path, window: int, examples: int):
    model = ScriptedModel([sql_reply("select count(*) from table_1"), "There is 1 row."], context=window)
    settings = Settings(warm_up=False)
    result = await ask(
        Datasette([str(path)]), path.stem, QUESTION, model=model, settings=settings, examples=pool(examples)
    )
    return result, model


CASES = [(w, t, e) for w in (768, 1024, 1280, 1536, 2048) for t in (4, 12, 24) for e in (0, 1, 3)]


@pytest.mark.asyncio
@pytest.mark.parametrize(("window", "tables", "examples"), random.Random(57).sample(CASES, 12))
async def test_the_prompt_and_its_reply_fit_and_the_examples_listed_are_those_shown(
    databases, window, tables, examples
):
    result, model = await asked(databases[tables], window, examples)
    assert result.error is None and result.rows == ((1,),), result.error
    first = model.calls[0]
    assert model.count_message_tokens(first) + model.options[0].max_tokens <= window
    prompt = str(first)
    shown = [e["id"] for e in result.examples]
    assert shown == [i for i in range(examples) if f"id > {i}" in prompt]
    roomy, _ = await asked(databases[tables], 100_000, examples)
    everything = [e["id"] for e in roomy.examples]
    assert shown == everything[: len(shown)]  # the most similar stay
    notes = [n for n in result.notes if EXAMPLES_NOTE in n]
    assert bool(notes) == (len(shown) < len(everything)), result.notes
    if notes:
        assert notes[0].startswith(f"{len(everything) - len(shown)} of the examples")


@pytest.mark.asyncio
async def test_a_window_of_1024_tokens_answers_a_question_on_twelve_tables_with_examples(databases):
    result, model = await asked(databases[12], 1024, 3)
    assert result.error is None and result.rows == ((1,),)
    assert any("tables left out of the prompt" in note for note in result.notes)
