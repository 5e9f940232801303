"""Prompt-lookup decoding: guesses come from earlier occurrences, and with the real model the reply is the same."""

import pytest

from datasette_llm.models import ChatOptions
from datasette_llm.models.llama_cpp import LlamaCppChatModel
from datasette_llm.models.lookup_decoding import FIRST_DRAFT, Drafter

# The llama.cpp backend alone: the Datasette 1.0 leg of the test command leaves these model tests out.
pytestmark = pytest.mark.no_datasette


def test_guesses_what_followed_the_last_tokens_before():
    drafter = Drafter([1, 2, 3, 4, 5, 6, 9, 1, 2, 3], max_draft=16)
    assert drafter.draft(3) == [4, 5, 6]
    assert drafter.draft(0) == []


def test_no_guess_without_an_earlier_occurrence_of_three_tokens():
    assert Drafter([1, 2, 3, 4, 2, 3], max_draft=16).draft(4) == []  # only (2, 3) occurred before
    assert Drafter([7, 8, 9], max_draft=16).draft(4) == []


def test_a_list_is_followed_in_order_after_an_accepted_guess():
    rows = [5, 6, 7, 1, 5, 6, 7, 2, 5, 6, 7, 3]  # three rows that start alike, as tokens
    drafter = Drafter([*rows, 0, 5, 6, 7], max_draft=16)
    assert drafter.draft(1) == [1]  # nothing copied yet: the first row
    drafter.record(1, 1)
    drafter.extend([1, 5, 6, 7])  # the reply copied row 1 and starts the next one
    assert drafter.draft(1) == [2]  # the row after the one just copied, not the most recent occurrence
    drafter.record(1, 1)
    drafter.extend([2, 5, 6, 7])
    assert drafter.draft(1) == [3]


def test_draft_length_grows_while_accepted_and_shrinks_after_a_miss():
    drafter = Drafter(list(range(50)) * 2, max_draft=16)
    assert len(drafter.draft(100)) == FIRST_DRAFT
    drafter.record(FIRST_DRAFT, FIRST_DRAFT)
    assert len(drafter.draft(100)) == 2 * FIRST_DRAFT
    drafter.record(2 * FIRST_DRAFT, 1)
    assert len(drafter.draft(100)) == 2
    assert drafter.stats() == {"passes": 2, "drafted": 3 * FIRST_DRAFT, "accepted": FIRST_DRAFT + 1}


@pytest.mark.model
@pytest.mark.asyncio
async def test_the_reply_is_what_one_token_at_a_time_writes_in_fewer_passes(default_gguf):
    rows = "\n".join(f"{name} | {count}" for name, count in [("datasette", 310), ("sqlite-utils", 154), ("llm", 140)])
    messages = [
        {"role": "system", "content": "Answer from the rows only."},
        {"role": "user", "content": f"Rows (repo | releases):\n{rows}\n\nList every repo with its releases."},
    ]
    options = ChatOptions(max_tokens=60, cache_slot="answer")
    one_at_a_time = LlamaCppChatModel("plain", default_gguf, n_ctx=1024, n_threads=2, draft_tokens=0)
    drafted = LlamaCppChatModel("drafted", default_gguf, n_ctx=1024, n_threads=2, draft_tokens=16)
    try:
        expected = one_at_a_time.complete(messages, options)
        reply = drafted.complete(messages, options)
        assert reply.text == expected.text and "sqlite-utils" in reply.text
        assert reply.completion_tokens == expected.completion_tokens
        stats = drafted.last_drafts
        assert stats["accepted"] > 0 and stats["passes"] < reply.completion_tokens
        # streamed pieces add up to the same text, and the context holds what was decoded for the next request
        assert "".join([piece async for piece in drafted.stream(messages, options)]) == expected.text
    finally:
        one_at_a_time.close()
        drafted.close()


@pytest.mark.model
def test_a_given_reply_start_is_read_not_written_and_the_reply_is_the_same(default_gguf):
    messages = [
        {"role": "system", "content": "Reply with the SQL in a ```sql code block."},
        {"role": "user", "content": "CREATE TABLE repos (id INTEGER, name TEXT);\nQuestion: How many repos?"},
    ]
    model = LlamaCppChatModel("prefill", default_gguf, n_ctx=1024, n_threads=2, draft_tokens=0)
    try:
        written = model.complete(messages, ChatOptions(max_tokens=40))
        prefilled = model.complete(messages, ChatOptions(max_tokens=40, reply_prefix="```sql\n"))
        assert written.text.startswith("```sql\nSELECT") and prefilled.text == written.text
        assert prefilled.completion_tokens == written.completion_tokens - 3
    finally:
        model.close()


@pytest.mark.model
def test_a_reply_stops_once_complete_greedy_or_sampled(default_gguf):
    from datasette_llm.sql.replies import close_fence, extract_sql, statement_written

    messages = [
        {"role": "system", "content": "Reply with the SQL in a ```sql code block."},
        {
            "role": "user",
            "content": "CREATE TABLE repos (id INTEGER, name TEXT);\nQuestion: How many repos are named x?",
        },
    ]
    model = LlamaCppChatModel("stops", default_gguf, n_ctx=1024, n_threads=2, draft_tokens=16)
    try:
        for options in (ChatOptions(max_tokens=60), ChatOptions(max_tokens=60, temperature=0.7, seed=3)):
            options = ChatOptions(**{**options.__dict__, "reply_prefix": "```sql\n"})
            whole = model.complete(messages, options)
            stopped = model.complete(messages, ChatOptions(**{**options.__dict__, "complete_when": statement_written}))
            assert whole.text.rstrip().endswith("```") and extract_sql(whole.text).startswith("SELECT")
            assert extract_sql(close_fence(stopped.text)) == extract_sql(whole.text)
            assert stopped.completion_tokens < whole.completion_tokens, (stopped.text, whole.text)
    finally:
        model.close()
