"""Replies a model already wrote, kept for the same prompt and asker (models/reply_cache.py)."""

import asyncio

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, make_pets_db, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.models.base import ChatOptions
from datasette_llm.models.reply_cache import SCOPE, ReplyScope, asker_key

HELLO = [{"role": "user", "content": "Say hello."}]
OPTIONS = ChatOptions(max_tokens=50)


def chat(model, messages=HELLO, options=OPTIONS, scope=None):
    async def run():
        token = SCOPE.set(scope) if scope is not None else None
        try:
            return await model.chat(messages, options)
        finally:
            if token is not None:
                SCOPE.reset(token)

    return asyncio.run(run())


def stream(model, messages=HELLO, options=OPTIONS, stop_after=None):
    async def run():
        pieces = []
        async for piece in model.stream(messages, options):
            pieces.append(piece)
            if stop_after is not None and len(pieces) >= stop_after:
                break
        return pieces

    return asyncio.run(run())


def test_the_same_prompt_is_answered_once():
    model = ScriptedModel(["hello", "other"], reply_cache=8)
    first, again = chat(model), chat(model)
    assert first.text == again.text == "hello" and len(model.calls) == 1
    assert again.cached and (again.prompt_tokens, again.completion_tokens, again.seconds) == (0, 0, 0.0)
    assert not first.cached


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": "Say hello!"}]},
        {"options": ChatOptions(max_tokens=50, temperature=0.7, seed=1)},
        {"options": ChatOptions(max_tokens=50, seed=2)},
        {"options": ChatOptions(max_tokens=50, stop=("\n",))},
        {"scope": ReplyScope('{"id": "bob"}')},
    ],
)
def test_another_prompt_options_or_asker_is_written_anew(change):
    model = ScriptedModel(["hello", "other"], reply_cache=8)
    chat(model, scope=ReplyScope('{"id": "alice"}'))
    assert chat(model, **{"scope": ReplyScope('{"id": "alice"}'), **change}).text == "other"
    assert len(model.calls) == 2


def test_a_reply_that_ended_on_its_own_serves_any_budget_it_fits_and_a_cut_one_only_its_own():
    model = ScriptedModel(["hi", "a long reply " * 10, "again"], reply_cache=8)
    chat(model, options=ChatOptions(max_tokens=50))  # "hi": 1 token of 50, ended on its own
    assert chat(model, options=ChatOptions(max_tokens=20)).cached
    assert chat(model, options=ChatOptions(max_tokens=500)).cached
    other = [{"role": "user", "content": "Say more."}]
    chat(model, other, ChatOptions(max_tokens=10))  # 33 tokens written: cut by its budget of 10
    assert chat(model, other, ChatOptions(max_tokens=10)).cached
    assert chat(model, other, ChatOptions(max_tokens=100)).text == "again"  # more budget: written anew


def test_the_least_recently_used_reply_goes_first():
    model = ScriptedModel(["a", "b", "c", "a2"], reply_cache=2)
    prompts = [[{"role": "user", "content": text}] for text in ("1", "2", "3")]
    chat(model, prompts[0]), chat(model, prompts[1])
    assert chat(model, prompts[0]).cached  # 1 used again: 2 is now the oldest
    chat(model, prompts[2])  # evicts 2
    assert chat(model, prompts[0]).cached and len(model.kept_replies) == 2
    assert chat(model, prompts[1]).text == "a2"


def test_nothing_is_kept_by_default_or_with_a_lambda_as_the_end_test():
    model = ScriptedModel(["a", "b"])
    chat(model), chat(model)
    assert len(model.calls) == 2
    model = ScriptedModel(["a", "b"], reply_cache=8)
    options = ChatOptions(max_tokens=50, complete_when=lambda text: False)
    chat(model, options=options), chat(model, options=options)
    assert len(model.calls) == 2


def test_a_stream_is_kept_only_when_read_to_its_end_and_a_failure_never():
    model = ScriptedModel(["hello", "other", RuntimeError("model broke"), "fine"], reply_cache=8)
    assert stream(model, stop_after=1) == ["hello"]  # the reader stopped: not kept
    assert stream(model) == ["other"] and stream(model) == ["other"] and len(model.calls) == 2
    failing = [{"role": "user", "content": "fail"}]
    with pytest.raises(RuntimeError):
        stream(model, failing)
    assert stream(model, failing) == ["fine"]


@pytest.fixture
def pets(tmp_path):
    return make_pets_db(tmp_path / "pets.db")


@pytest.mark.asyncio
async def test_a_question_asked_again_reads_nothing_until_its_rows_change(pets):
    count = sql_reply("select count(*) from dogs")
    model = ScriptedModel([count, "There are 3 dogs.", "There are 4 dogs."], reply_cache=64)
    datasette = Datasette([str(pets)])
    first = await ask(datasette, "pets", "How many dogs are there?", model=model)
    again = await ask(datasette, "pets", "How many dogs are there?", model=model)
    assert again.answer == first.answer and again.rows == first.rows and len(model.calls) == 2
    assert first.tokens["cached_replies"] == 0 and again.tokens["cached_replies"] == 2
    assert again.tokens["sql_prompt"] == again.tokens["answer_prompt"] == 0 < first.tokens["answer_prompt"]
    sqlite_utils.Database(pets)["dogs"].insert({"id": 99, "name": "Zed", "age": 1, "owner_id": 1})
    changed = await ask(Datasette([str(pets)]), "pets", "How many dogs are there?", model=model)
    # The SQL prompt did not change (the first rows of each table are the same), the rows did: written anew.
    assert changed.rows != first.rows and changed.answer == "There are 4 dogs." and len(model.calls) == 3
    assert changed.tokens["cached_replies"] == 1


@pytest.mark.asyncio
async def test_replies_are_kept_per_asker(pets):
    model = ScriptedModel([sql_reply("select count(*) from dogs"), "3 dogs."] * 2, reply_cache=64)
    datasette = Datasette([str(pets)])
    await ask(datasette, "pets", "How many dogs?", model=model, actor={"id": "root"})
    other = await ask(datasette, "pets", "How many dogs?", model=model, actor={"id": "alice"})
    assert other.tokens["cached_replies"] == 0 and len(model.calls) == 4
    again = await ask(datasette, "pets", "How many dogs?", model=model, actor={"id": "alice"})
    assert again.tokens["cached_replies"] == 2 and len(model.calls) == 4


def test_an_asker_over_http_is_an_actor_or_a_browser_and_nobody_else_keeps_replies():
    assert asker_key({"id": "alice"}) == asker_key({"id": "alice"}, "any browser") == '{"id": "alice"}'
    assert asker_key(None, "token-a") != asker_key(None, "token-b")
    assert asker_key(None) is None and asker_key(None, "") is None
    model = ScriptedModel(["one", "two"], reply_cache=8)
    assert chat(model, scope=ReplyScope(None)).text == "one"
    assert chat(model, scope=ReplyScope(None)).text == "two"  # nothing kept for nobody
    assert len(model.kept_replies) == 0
