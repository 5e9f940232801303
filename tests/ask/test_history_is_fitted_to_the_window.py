"""The conversation's earlier turns are fitted to the model's window: the newest that fit stay, the oldest go first,
with a note. They went in whole, so with a window of 2,048 tokens (Ollama's default) the 4th follow-up of ordinary
400-character queries was refused as too long, and so was every later question of that conversation (an outside
tester, session 56). Oracle, for generated windows, turn counts and lengths: a question answered alone is answered
with its history; its first SQL prompt fits the window beside the reply; the turns in it are the newest of the
history, in order; the note is there exactly when some were left out."""

import random

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.config import Settings

QUESTION = "How many rows are in table_1?"


@pytest.fixture(scope="module")
def wide_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("history") / "wide.db"
    db = sqlite_utils.Database(path)
    for t in range(12):
        db[f"table_{t}"].insert({"id": 1, **{f"column_{c}_of_table_{t}": f"value {c}" for c in range(10)}}, pk="id")
    db.close()
    return path


def history(turns: int, sql_chars: int) -> list[dict]:
    sql = ("select id from table_1 where column_1_of_table_1 like '%value%' " * 100)[:sql_chars]
    return [{"question": f"Show rows of table 1 matching value {i}", "sql": f"{sql} -- turn {i}"} for i in range(turns)]


def turns_in(messages) -> list[int]:
    return [int(m["content"].rsplit("-- turn ", 1)[1].split()[0]) for m in messages if "-- turn " in m["content"]]


CASES = [(w, n, c) for w in (2048, 3072, 4096) for n in (1, 3, 6) for c in (100, 400, 1500)]


@pytest.mark.asyncio
@pytest.mark.parametrize(("window", "turns", "sql_chars"), random.Random(56).sample(CASES, 14))
async def test_the_newest_turns_that_fit_stay_and_the_question_is_answered(wide_db, window, turns, sql_chars):
    settings = Settings(warm_up=False)
    alone_model = ScriptedModel([sql_reply("select count(*) from table_1"), "There is 1 row."], context=window)
    alone = await ask(Datasette([str(wide_db)]), "wide", QUESTION, model=alone_model, settings=settings)
    if alone.error:
        pytest.skip(f"the question alone does not fit a window of {window}: {alone.error}")
    model = ScriptedModel([sql_reply("select count(*) from table_1"), "There is 1 row."], context=window)
    turns_sent = history(turns, sql_chars)
    result = await ask(Datasette([str(wide_db)]), "wide", QUESTION, model=model, settings=settings, history=turns_sent)
    assert result.error is None and result.rows == ((1,),), result.error
    first = model.calls[0]
    assert model.count_message_tokens(first) + model.options[0].max_tokens <= window
    kept = turns_in(first)
    assert kept == list(range(turns - len(kept), turns))  # the newest, in order
    left_out = turns - len(kept)
    notes = [n for n in result.notes if "oldest turn" in n]
    assert bool(notes) == bool(left_out), result.notes
    if left_out:
        assert notes[0].startswith(f"the conversation's {left_out} oldest turn")
