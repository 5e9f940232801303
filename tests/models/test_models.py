"""The model interface on real backends: local llama.cpp, ONNX embeddings, an OpenAI-compatible server."""

import asyncio
import os
import threading
import time

import numpy as np
import pytest
from ask_helpers import ScriptedModel
from hypothesis import example, given, settings
from hypothesis import strategies as st

from datasette_llm.config import load_settings
from datasette_llm.errors import (
    ConfigError,
    ContextOverflow,
    ModelBusy,
    ModelError,
    ModelNotReady,
    ModelTimeout,
    ModelUnavailable,
)
from datasette_llm.models import ChatOptions, chat_model_for, embedding_model_for
from datasette_llm.models.base import ChatModel, ChatResult, ModelStatus
from datasette_llm.models.llama_cpp import LlamaCppChatModel
from datasette_llm.models.openai import OpenAIChatModel

pytestmark = pytest.mark.no_datasette

HELLO = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Reply with exactly the single word: pineapple"},
]


def test_llama_cpp_short_completion(chat_model):
    result = chat_model.complete(HELLO, ChatOptions(max_tokens=8))
    assert "pineapple" in result.text.lower()
    assert 0 < result.completion_tokens <= 8
    assert result.prompt_tokens > 10


def test_llama_cpp_streaming_matches_completion(chat_model):
    async def collect():
        return [piece async for piece in chat_model.stream(HELLO, ChatOptions(max_tokens=8))]

    pieces = asyncio.run(collect())
    assert len([p for p in pieces if p]) >= 2  # really streamed, token by token
    assert "".join(pieces) == chat_model.complete(HELLO, ChatOptions(max_tokens=8)).text


def test_llama_cpp_stop_sequence_and_max_tokens(chat_model):
    messages = [{"role": "user", "content": "Count from 1 to 20 separated by commas."}]
    stopped = chat_model.complete(messages, ChatOptions(max_tokens=60, stop=("5",)))
    assert "5" not in stopped.text and "4" in stopped.text
    short = chat_model.complete(messages, ChatOptions(max_tokens=3))
    assert short.completion_tokens <= 3


def test_llama_cpp_token_counting(chat_model):
    one = chat_model.count_tokens("hello")
    many = chat_model.count_tokens("hello " * 100)
    assert 1 <= one <= 2
    assert 95 <= many <= 105
    assert chat_model.context_window() == load_settings().n_ctx


def test_llama_cpp_context_overflow(chat_model):
    huge = [{"role": "user", "content": "word " * (chat_model.context_window() + 100)}]
    with pytest.raises(ContextOverflow) as info:
        chat_model.complete(huge, ChatOptions(max_tokens=16))
    assert "context window" in info.value.message


def test_llama_cpp_async_chat_runs_off_the_event_loop(chat_model):
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        # Another seed (greedy all the same): the tests before kept this prompt's reply (models/reply_cache.py).
        result = await chat_model.chat(HELLO, ChatOptions(max_tokens=8, seed=11))
        task.cancel()
        return result, ticks

    result, ticks = asyncio.run(main())
    assert "pineapple" in result.text.lower()
    assert ticks > 5  # the loop kept running while the model worked


def test_missing_gguf_file_says_how_to_fix(tmp_path):
    model = chat_model_for(load_settings({"chat_model": str(tmp_path / "nope.gguf")}, {}))
    with pytest.raises(ModelNotReady) as info:
        model.complete(HELLO)
    assert "nope.gguf" in info.value.message
    status = model.status()
    assert not status.ready and "missing" in status.detail


def test_default_model_missing_names_the_setup_command(tmp_path):
    settings = load_settings({"models_dir": str(tmp_path)}, {})
    with pytest.raises(ModelNotReady) as info:
        chat_model_for(settings).complete(HELLO)
    assert "setup-scripts/models.sh" in info.value.message
    with pytest.raises(ModelNotReady):
        embedding_model_for(settings).embed(["x"])


def test_unknown_model_name():
    with pytest.raises(ConfigError) as info:
        chat_model_for(load_settings({"chat_model": "gpt-9000"}, {}))
    assert "openai:MODEL_ID" in info.value.message


def test_custom_gguf_path_loads(default_gguf):
    model = LlamaCppChatModel("custom", default_gguf, n_ctx=512)
    assert model.context_window() == 512
    assert "pineapple" in model.complete(HELLO, ChatOptions(max_tokens=8)).text.lower()
    with pytest.raises(ContextOverflow):
        model.complete([{"role": "user", "content": "word " * 600}], ChatOptions(max_tokens=8))


# --- embeddings -----------------------------------------------------------------------------------


def test_onnx_paraphrase_beats_unrelated(embedding_model):
    vectors = embedding_model.embed(["my happy puppy", "a fun-loving hound", "quarterly tax filing deadline"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_onnx_batching_is_order_preserving(embedding_model):
    texts = ["short", "a much longer sentence about databases and SQL", "", "medium length text here"]
    batched = embedding_model.embed(texts, batch_size=3)
    single = np.vstack([embedding_model.embed([t]) for t in texts])
    assert np.allclose(batched, single, atol=1e-4)


def test_onnx_truncates_long_text(embedding_model):
    vector = embedding_model.embed(["word " * 5000])
    assert vector.shape == (1, 384) and np.isfinite(vector).all()


def test_onnx_reads_only_the_start_of_a_huge_text_and_gives_the_same_vector(embedding_model):
    """The tokenizer read a text whole before truncating it: 50 MB cells took 15 GB and minutes (an outside tester,
    session 36). Only the start is read, and the vector is the one of the text cut past its first 256 pieces."""
    import time

    words = " ".join(f"w{i} lorem-{i % 97}" for i in range(400))  # far more than 256 word pieces
    huge = words + " tail" * 4_000_000  # about 20 MB: 18 s to embed when it was read whole
    started = time.monotonic()
    vector = embedding_model.embed([huge])
    assert time.monotonic() - started < 5
    assert np.allclose(vector, embedding_model.embed([words]), atol=1e-6)


def test_the_embedding_model_writes_nothing_outside_the_plugin_and_calls_no_one(settings, tmp_path):
    """Loading and using the default embedding model leaves the user's home as it was: onnxruntime's telemetry
    wrote ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db and looked up a Microsoft host every
    30-40 s (an outside tester's system-call oracle, session 43). In a fresh process, with a home of its own."""
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    script = (
        "from datasette_llm.config import load_settings\n"
        "from datasette_llm.models import embedding_model_for\n"
        f"model = embedding_model_for(load_settings({{'models_dir': {str(settings.models_dir)!r}}}, {{}}))\n"
        "print(model.embed(['a happy puppy']).shape)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME")}
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's plugin
    done = subprocess.run(
        [sys.executable, "-c", script], env={**env, "HOME": str(home)}, cwd=repo, capture_output=True, text=True
    )
    assert done.returncode == 0 and "(1, 384)" in done.stdout, done.stderr
    assert [str(p.relative_to(home)) for p in home.rglob("*")] == []


# --- the shared async behaviour (a scripted backend: timing and queueing logic only) ---------------


class SlowModel(ChatModel):
    backend = "scripted"

    def __init__(self, delay, **kwargs):
        self.delay = delay
        super().__init__("slow", **kwargs)

    def context_window(self):
        return 1000

    def count_tokens(self, text):
        return len(text.split())

    def _complete(self, messages, options, cancel: threading.Event):
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline and not cancel.is_set():
            time.sleep(0.01)
        return ChatResult("done", 1, 1, self.delay, self.name)

    def status(self):
        return ModelStatus(self.name, self.backend, "chat", True, "")


def test_queue_limit_fails_fast_with_busy():
    model = SlowModel(0.5, queue_limit=2)

    async def main():
        return await asyncio.gather(*(model.chat(HELLO) for _ in range(4)), return_exceptions=True)

    started = time.monotonic()
    results = asyncio.run(main())
    busy = [r for r in results if isinstance(r, ModelBusy)]
    assert len(busy) == 2 and busy[0].retry_after > 0 and busy[0].status == 503
    assert sum(isinstance(r, ChatResult) for r in results) == 2
    assert time.monotonic() - started < 2.5


class StubbornModel(SlowModel):
    """Ignores the cancel flag, as a backend does inside one blocking HTTP call; counts the calls that started."""

    def __init__(self, delay, **kwargs):
        super().__init__(delay, **kwargs)
        self.started = 0

    def _complete(self, messages, options, cancel: threading.Event):
        self.started += 1
        time.sleep(self.delay)
        return ChatResult("done", 1, 1, self.delay, self.name)


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_a_finished_request_has_given_its_place_back(how):
    """When a request's answer is complete, its place in the queue is free again. The stream's last piece
    reached its reader before the worker gave its place back, so a request right after it could be refused as
    busy (a loaded CI run, session 28); the place is given back late here on purpose."""
    model = StubbornModel(0.01, queue_limit=1)
    give_back = model._gate.places.leave

    def late_release(holder, given_up=False):
        time.sleep(0.3)
        give_back(holder, given_up)

    model._gate.places.leave = late_release

    async def main():
        if how == "chat":
            text = (await model.chat(HELLO)).text
        else:
            text = "".join([piece async for piece in model.stream(HELLO)])
        return text, model._gate.waiting

    assert asyncio.run(main()) == ("done", 0)


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_abandoned_requests_keep_their_place_until_their_work_ends(how):
    """A client that goes away frees its place only when its work has ended; work that had not started is
    dropped. (Before: both places were freed at once, later requests were admitted and queued behind the
    abandoned work, and the queued job still ran: an outside attacker kept the model busy this way.)"""
    model = StubbornModel(0.8, queue_limit=2)

    async def consume():
        if how == "chat":
            return (await model.chat(HELLO)).text
        return "".join([piece async for piece in model.stream(HELLO)])

    async def main():
        abandoned = [asyncio.create_task(consume()) for _ in range(2)]
        await asyncio.sleep(0.2)
        for task in abandoned:
            task.cancel()
        await asyncio.gather(*abandoned, return_exceptions=True)
        assert model._gate.waiting == 1  # the running job keeps its place; the queued one was dropped
        return await asyncio.gather(consume(), consume(), return_exceptions=True)

    results = asyncio.run(main())
    assert sum(isinstance(r, ModelBusy) for r in results) == 1 and "done" in results, results
    assert model.started == 2  # the abandoned job that had not started never ran
    assert model._gate.waiting == 0


class ScriptedOutcomes(ScriptedModel):
    """Each call's outcome by the first word of its prompt: ok, fail (an error) or slow (past the timeout)."""

    def _complete(self, messages, options, cancel: threading.Event):
        kind = messages[0]["content"].split()[0]
        if kind == "fail":
            raise ModelError("the backend failed")
        cancel.wait(0.05 if kind == "ok" else 0.6)
        return ChatResult("done", 1, 1, 0.0, self.name)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["address:a", "address:b", 'actor:"c"', None]),
            st.sampled_from(["ok", "fail", "slow"]),
            st.sampled_from(["wait", "leave early", "stream"]),
        ),
        min_size=1,
        max_size=12,
    )
)
@example([("address:a", "ok", "wait")] * 4 + [("address:b", "slow", "leave early")])
def test_every_place_is_given_back_and_no_client_holds_more_than_its_share(requests):
    """Generated mixes of clients and outcomes (answers, failures, time-outs, clients that leave before the answer,
    streams): no client ever holds more than half the places, every refusal is a 429 or a 503, and when all has
    ended every place is free again, so a fresh client gets its whole share."""
    from datasette_llm.fair_share import CLIENT, TooManyOfYours

    model = ScriptedOutcomes([], queue_limit=4, timeout=0.3)
    peak = []
    real_enter = model._gate.places.enter

    def watched(what, busy):
        holder = real_enter(what, busy)
        peak.append(max((n for client, n in model._gate.places.held.items() if client is not None), default=0))
        return holder

    model._gate.places.enter = watched

    async def one(client, outcome, how):
        CLIENT.set(client)
        messages = [{"role": "user", "content": f"{outcome} question"}]
        if how == "stream":
            return "".join([piece async for piece in model.stream(messages)])
        task = asyncio.ensure_future(model.chat(messages))
        if how == "leave early":
            await asyncio.sleep(0.01)
            task.cancel()
        return await task

    async def main():
        results = await asyncio.gather(*(one(*request) for request in requests), return_exceptions=True)
        for _ in range(100):  # work given up keeps its place until it ends
            if model._gate.places.waiting == 0:
                break
            await asyncio.sleep(0.02)
        return results

    results = asyncio.run(main())
    for result in results:
        assert isinstance(result, (str, ChatResult, ModelError, TooManyOfYours, asyncio.CancelledError)), result
    assert all(n <= 2 for n in peak)  # half the queue of 4
    assert model._gate.places.waiting == 0 and model._gate.places.held == {}


class TurnsModel(ScriptedModel):
    """Writes down the order its calls start in; the first waits until it is let go."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started, self.go = [], threading.Event()

    def _complete(self, messages, options, cancel: threading.Event):
        self.started.append(messages[0]["content"])
        if len(self.started) == 1:
            self.go.wait(5)
        return ChatResult("done", 1, 1, 0.0, self.name)


def test_clients_take_turns_at_the_model():
    """A client's question waits for what runs, not for every question another client queued before it: in one
    queue in order of arrival it waited for all of them (about 2.5 s each on this CPU)."""
    from datasette_llm.fair_share import CLIENT

    model = TurnsModel([], queue_limit=6)

    async def ask(client, text):
        CLIENT.set(client)
        return await model.chat([{"role": "user", "content": text}])

    async def main():
        first = asyncio.ensure_future(ask("address:a", "a1"))
        await asyncio.sleep(0.1)  # a1 runs
        queued = [asyncio.ensure_future(ask("address:a", "a2")), asyncio.ensure_future(ask("address:a", "a3"))]
        await asyncio.sleep(0.05)
        others = [asyncio.ensure_future(ask("address:b", "b1")), asyncio.ensure_future(ask(None, "n1"))]
        await asyncio.sleep(0.05)
        model.go.set()
        await asyncio.gather(first, *queued, *others)

    asyncio.run(main())
    assert model.started == ["a1", "b1", "n1", "a2", "a3"]


class DeafModel(ScriptedOutcomes):
    """A server slow to its first byte: a call given up goes on for `deaf` seconds (an OpenAI-compatible backend
    gives a call up between the chunks of its body), four at a time."""

    workers = 4
    deaf = 0.6

    def _complete(self, messages, options, cancel: threading.Event):
        time.sleep(self.deaf)
        return ChatResult("done", 1, 1, 0.0, self.name)


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_a_question_asked_again_after_cancels_waits_for_them_not_a_429(how):
    """A person who pressed Cancel twice on a slow server and asked again was refused with a 429: both places of
    their share still held work they had given up (a second outside tester, session 38). The new question waits for
    that work to end and is answered; a third question alongside it, with nothing given up, is still a 429."""
    from datasette_llm.fair_share import CLIENT, TooManyOfYours

    model = DeafModel([], queue_limit=4, timeout=5)
    messages = [{"role": "user", "content": "ok question"}]

    async def ask():
        if how == "chat":
            return (await model.chat(messages)).text
        return "".join([piece async for piece in model.stream(messages)])

    async def main():
        CLIENT.set("address:a")
        for _ in range(2):
            task = asyncio.ensure_future(ask())
            await asyncio.sleep(0.1)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert model._gate.places.held == {"address:a": 2} and model._gate.places.given_up == {"address:a": 2}
        started = time.monotonic()
        again = asyncio.ensure_future(ask())
        await asyncio.sleep(0.05)
        answer = await again
        waited = time.monotonic() - started
        alongside = await asyncio.gather(ask(), ask(), ask(), return_exceptions=True)
        return answer, waited, alongside

    answer, waited, alongside = asyncio.run(main())
    assert answer == "done" and waited < 2
    assert sum(isinstance(r, TooManyOfYours) for r in alongside) == 1 and alongside.count("done") == 2
    assert model._gate.places.waiting == 0 and model._gate.places.given_up == {}


def test_timeout_raises_and_next_request_works():
    model = SlowModel(5, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(ModelTimeout):
        asyncio.run(model.chat(HELLO))
    assert time.monotonic() - started < 1.5
    model.delay = 0.01
    assert asyncio.run(model.chat(HELLO)).text == "done"


# --- OpenAI-compatible backend against a real server ---------------------------------------------


def openai_settings(server, **extra):
    return load_settings(
        {
            "chat_model": f"openai:{server['model']}",
            "openai_base_url": server["base_url"],
            "openai_api_key": server["api_key"],
            **extra,
        },
        {},
    )


def test_openai_backend_chat(openai_server):
    model = chat_model_for(openai_settings(openai_server))
    assert isinstance(model, OpenAIChatModel)
    result = model.complete(HELLO, ChatOptions(max_tokens=8))
    assert "pineapple" in result.text.lower()
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    assert model.status().ready


def test_openai_backend_streams(openai_server):
    model = chat_model_for(openai_settings(openai_server))

    async def collect():
        return [piece async for piece in model.stream(HELLO, ChatOptions(max_tokens=8))]

    pieces = asyncio.run(collect())
    assert len(pieces) >= 2 and "pineapple" in "".join(pieces).lower()


def test_openai_backend_bad_key(openai_server):
    settings = load_settings(
        {
            "chat_model": f"openai:{openai_server['model']}",
            "openai_base_url": openai_server["base_url"],
            "openai_api_key": "wrong",
        },
        {},
    )
    model = chat_model_for(settings)
    with pytest.raises(ModelError) as info:
        model.complete(HELLO, ChatOptions(max_tokens=4))
    assert "401" in info.value.message or "key" in info.value.message
    assert not model.status().ready


def test_openai_backend_dead_server():
    from server_helpers import free_port

    settings = load_settings(
        {
            "chat_model": "openai:x",
            "openai_base_url": f"http://127.0.0.1:{free_port()}/v1",
            "openai_api_key": "k",
            "model_timeout": 5,
        },
        {},
    )
    model = chat_model_for(settings)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as info:
        model.complete(HELLO)
    assert "Could not reach" in info.value.message
    assert time.monotonic() - started < 15
    assert not model.status().ready


def test_openai_backend_needs_a_key():
    model = chat_model_for(load_settings({"chat_model": "openai:gpt-4o-mini"}, {}))
    with pytest.raises(ConfigError) as info:
        model.complete(HELLO)
    assert "OPENAI_API_KEY" in info.value.message
