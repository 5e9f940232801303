"""A model's reply is stopped once its query is written (sql/replies.py statement_written) and its ```sql fence is
then closed "as the model would have closed it", so that the conversation sent back with a repair reads as if the
model had written the fence itself (ask/write_sql.py `_write`); any other reply is kept as it is (close_fence).

The suite checked only that the query found in a stopped reply is the same (extract_sql reads an unclosed fence
too): with the test inverted (`% 2 == 1`), the whole suite passed (an outside tester's mutation run, session 53)
while every stopped reply went back to the model with its fence still open, and every complete reply got a stray
fence appended, which opens an empty block in the assistant's turn.

Generated: replies as a model writes them, a ```sql fence holding a query, its `;` and a newline, then the closing
fence and sometimes prose. Oracle: the model's own complete reply: the reply stopped where statement_written()
says it is complete, then closed, is the model's reply up to and including its closing fence; a complete reply
comes back unchanged.
"""

from __future__ import annotations

import random

import pytest

from datasette_llm.ask.conversation import SQL_REPLY_START as PREFIX
from datasette_llm.sql.replies import close_fence, statement_written

pytestmark = pytest.mark.no_datasette

QUERIES = [
    "SELECT name FROM dogs;",
    "select count(*)\nfrom dogs\nwhere age > 3;",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x;",
    "SELECT name FROM dogs WHERE name = 'a;b';",
]


def test_a_stopped_reply_is_closed_exactly_as_the_model_closes_it():
    rng = random.Random(53)
    checked = 0
    for _ in range(40):
        query = rng.choice(QUERIES)
        tail = rng.choice(["", "\nThis lists them.", "\n\nNotes: none."])
        full = f"{PREFIX}{query}\n```{tail}"
        closed_at = full.index("```", 3) + 3
        # the reply starts with the fence (the prompt's reply prefix, ask/conversation.py SQL_REPLY_START); the model
        # writes the rest one character at a time and is stopped at the first place its query is complete
        body = full[len(PREFIX) :]
        stop = next(end for end in range(1, len(body) + 1) if statement_written(body[:end]))
        stopped = PREFIX + body[:stop]
        assert stopped.count("```") == 1, stopped  # stopped before the fence was closed
        assert close_fence(stopped) == full[:closed_at], (stopped, close_fence(stopped))
        assert close_fence(full) == full  # a reply that closed its fence is kept as it is
        assert close_fence(full[:closed_at]) == full[:closed_at]
        checked += 1
    assert checked == 40 and PREFIX == "```sql\n"
    for reply in ["SELECT 1", "I cannot answer that.", "```\nselect 1\n```", ""]:  # no open fence: unchanged
        assert close_fence(reply) == reply
