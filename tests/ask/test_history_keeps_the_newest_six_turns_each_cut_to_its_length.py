"""The conversation's earlier turns (`history`, written by the client) are read as at most the newest six, oldest
first, each question cut to 2,000 characters and each query to 4,000; a query that is not a string is no query,
and nothing else a turn holds (rows, answers, roles) is kept. Those turns are what the SQL prompt shows: the first
kept turn's question in the schema prompt, its query as the model's reply, the others as follow-ups (ask/question.py
normalise_history, ask/conversation.py; an outside tester's gaps Q06, Q07, Q09, Q10, Q11 and Q14, session 56)."""

import pytest
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.question import MAX_HISTORY_TURNS, normalise_history


def turns(count):
    return [{"question": f"Question number {n}?", "sql": f"select {n} as turn"} for n in range(1, count + 1)]


def test_the_newest_six_turns_are_kept_in_their_order():
    assert MAX_HISTORY_TURNS == 6
    for count in (5, 6, 7, 9):
        kept = normalise_history(turns(count))
        assert kept == turns(count)[-6:], count


def test_each_turn_is_cut_to_its_length_and_holds_only_a_question_and_a_query():
    long = [
        {"question": "q" * 2001, "sql": "s" * 4001, "rows": [[500]], "answer": "500 dogs", "role": "system"},
        {"question": "q" * 2000, "sql": "s" * 4000},
        {"question": "Which?", "sql": 5},
        {"question": "And?", "sql": ["select 1"]},
        {"question": "Or?"},
    ]
    assert normalise_history(long) == [
        {"question": "q" * 2000, "sql": "s" * 4000},
        {"question": "q" * 2000, "sql": "s" * 4000},
        {"question": "Which?", "sql": None},
        {"question": "And?", "sql": None},
        {"question": "Or?", "sql": None},
    ]


@pytest.mark.asyncio
async def test_the_sql_prompt_shows_the_newest_six_turns_with_queries_and_nothing_older(tmp_path):
    datasette = Datasette([str(make_pets_db(tmp_path / "pets.db"))])
    model = ScriptedModel([sql_reply("select count(*) from dogs"), "3."])
    history = turns(8)
    history[4]["sql"] = 5  # not a string: that turn has no query, so it is no turn of the SQL conversation
    await ask(datasette, "pets", "And how many dogs?", model=model, history=history)
    messages = model.calls[0]
    text = "\n".join(m["content"] for m in messages)
    assert "Question number 1?" not in text and "Question number 2?" not in text
    assert "Question number 5?" not in text and "select 5 as turn" not in text
    assert messages[1]["content"].endswith("Question: Question number 3?")
    replies = [m["content"] for m in messages if m["role"] == "assistant"]
    assert replies == [f"```sql\nselect {n} as turn\n```" for n in (3, 4, 6, 7, 8)]
    follow_ups = [m["content"].rsplit("Question: ", 1)[1] for m in messages[3:] if m["role"] == "user"]
    assert follow_ups == [
        "Question number 4?",
        "Question number 6?",
        "Question number 7?",
        "Question number 8?",
        "And how many dogs?",
    ]
