"""The SQL conversation across attempts (ask/conversation.py SqlConversation): each query sent back with its error
or its doubts is added after every earlier turn, so the model sees all it was told; every doubt is sent, joined by
"; "; the first prompt, which voting samples from, stays as it was (an outside tester's gaps C12, C13 and C14,
session 56)."""

import pytest

from datasette_llm.ask import prompts
from datasette_llm.ask.conversation import SqlConversation

pytestmark = pytest.mark.no_datasette

FIRST = [{"role": "system", "content": "sys"}, {"role": "user", "content": "Question: How many dogs?"}]


def test_errors_and_doubts_are_added_after_every_earlier_turn():
    talk = SqlConversation(messages=list(FIRST))
    talk.send_back("```sql\nselect nmae from dogs\n```", "no such column: nmae", ["name"])
    talk.send_back("```sql\nselect city from dogs\n```", "no such column: city")
    talk.ask_to_reconsider("```sql\nselect count(*) from owners\n```", ["it counts owners", "it ignores dogs"])
    assert talk.messages[:2] == FIRST and talk.first == FIRST
    assert [m["role"] for m in talk.messages[2:]] == ["assistant", "user"] * 3
    assert [m["content"] for m in talk.messages[2::2]] == [
        "```sql\nselect nmae from dogs\n```",
        "```sql\nselect city from dogs\n```",
        "```sql\nselect count(*) from owners\n```",
    ]
    assert talk.messages[3]["content"] == prompts.SQL_REPAIR.format(
        error="no such column: nmae", hints="Closest valid names: name.\n"
    )
    assert talk.messages[5]["content"] == prompts.SQL_REPAIR.format(error="no such column: city", hints="")
    assert talk.messages[7]["content"] == prompts.SQL_RECONSIDER.format(doubts="it counts owners; it ignores dogs")
