"""What fits an OpenAI-compatible server's context window: the plugin's estimate of a text's tokens against a real
tokenizer's count, and what the model learns when a server says a prompt was too long (session 37: a llama.cpp
server of 2,048 tokens was sent 7,898, counted as characters / 3 in a window assumed to be 8,192)."""

import asyncio
import itertools
import string
import threading
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasette_llm.ask import prompts
from datasette_llm.config import load_settings
from datasette_llm.errors import ContextOverflow
from datasette_llm.models import ChatOptions, chat_model_for
from datasette_llm.models.http_client import HttpFailure
from datasette_llm.models.openai import MAX_SCALE, MIN_WINDOW, OpenAIChatModel
from datasette_llm.models.token_estimate import estimated_tokens

pytestmark = pytest.mark.no_datasette

WORDS = "the data release plugin table query value search answer model version install python sqlite".split()
CJK = "数据库中的每一行都是真实的记录模型只能根据看到来回答表格查询结果年月日时间地址名称价格数量"


def cells(kind):
    """Cells of one kind, as a column of a result holds them."""
    integers = st.integers(-(2**63), 2**63 - 1).map(str)
    return {
        "integers": integers,
        "floats": st.floats(allow_nan=False, allow_infinity=False).map(repr),
        "dates": st.datetimes().map(lambda d: d.isoformat()),
        "hex": st.binary(min_size=4, max_size=32).map(bytes.hex),
        "codes": st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=40),
        "base64ish": st.text(string.ascii_letters + string.digits + "+/", min_size=1, max_size=80),
        "prose": st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join),
        "cjk": st.text(CJK, min_size=1, max_size=60),
        "emoji": st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x1F5FF), min_size=1, max_size=20),
        "accented": st.text(st.characters(min_codepoint=0xC0, max_codepoint=0x17F), min_size=1, max_size=40),
        "punctuation": st.text(string.punctuation, min_size=1, max_size=40),
    }[kind]


@st.composite
def rows_text(draw):
    """Rows as the answer prompt shows them: a few columns, each of one kind, up to 30 rows."""
    kinds = draw(st.lists(st.sampled_from(sorted(cells_kinds())), min_size=1, max_size=4))
    rows = draw(st.lists(st.tuples(*(cells(kind) for kind in kinds)), min_size=1, max_size=30))
    return "\n".join(" | ".join(row) for row in rows)


def cells_kinds():
    return (
        "integers",
        "floats",
        "dates",
        "hex",
        "codes",
        "base64ish",
        "prose",
        "cjk",
        "emoji",
        "accented",
        "punctuation",
    )


@pytest.fixture(scope="module")
def qwen_tokenizer(default_gguf):
    from llama_cpp import Llama

    vocabulary = Llama(str(default_gguf), vocab_only=True, verbose=False)
    return lambda text: len(vocabulary.tokenize(text.encode(), add_bos=False, special=False))


@pytest.mark.model
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_text())
def test_an_answer_prompts_estimate_is_not_below_a_real_tokenizers_count(qwen_tokenizer, rows):
    """Qwen2.5's tokenizer (the default model's, as a llama.cpp or vLLM server runs it; a digit a token) against
    the estimate of an answer prompt (its instructions, then generated rows of numbers, dates, hashes, codes,
    prose, CJK, emoji): never fewer tokens. (A cell alone may cost more than estimated: "Aaae" is 3 tokens.)"""
    prompt = f"{prompts.ANSWER_SYSTEM}\n{rows}"
    assert estimated_tokens(prompt) >= qwen_tokenizer(prompt)


def overflow(detail: str) -> HttpFailure:
    return HttpFailure("status", detail, status=400)


def api_model(**settings_) -> OpenAIChatModel:
    """A model of its own (models are kept per process, with what they learned)."""
    return chat_model_for(
        load_settings(
            {
                "chat_model": f"openai:local-{next(NAMES)}",
                "openai_base_url": "http://127.0.0.1:9/v1",
                "openai_api_key": "k",
                **settings_,
            },
            {},
        )
    )


NAMES = itertools.count()
PROMPT = [{"role": "user", "content": "1234567890 " * 300}]


@pytest.mark.parametrize(
    "detail, window",
    [
        (
            "This model's maximum context length is 2048 tokens. However, you requested 9000 tokens "
            "(8990 in the messages, 10 in the completion). Please reduce the length of the messages.",
            2048,
        ),  # OpenAI, vLLM, llama_cpp.server
        ('{"error":{"code":400,"type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":4096}}', 4096),
        ("This model's maximum context length is 128000 tokens. However, your messages resulted in 9000 tokens.", 8192),
    ],
)
def test_a_server_that_says_the_prompt_is_too_long_teaches_the_model(detail, window):
    model = api_model()
    before = model.count_tokens(PROMPT[0]["content"])
    assert model.learn_overflow(overflow(detail), PROMPT)
    assert model.context_window() == window  # never raised: 128,000 is more than the 8,192 assumed
    assert model.count_message_tokens(PROMPT) >= 9000 > before  # counts at least what the server counted
    assert not model.learn_overflow(overflow(detail), PROMPT)  # nothing new the second time


def test_what_a_server_says_is_bounded(monkeypatch):
    """The server is untrusted: a window too small for Ask or a count a million times the estimate is not taken
    whole, and what it taught is forgotten after LEARNED_SECONDS (one lying reply made every later answer the bare
    table, or every question a 400, until a restart: a second outside tester, session 37)."""
    from datasette_llm.models import openai

    model = api_model()
    model.learn_overflow(overflow("maximum context length is 1 tokens; (999999999 in the messages"), PROMPT)
    assert model.context_window() == 8192
    assert model.count_tokens("x" * 300) <= (MAX_SCALE * estimated_tokens("x" * 300)) + 1
    model.learn_overflow(overflow("maximum context length is 700 tokens"), PROMPT)
    assert model.context_window() == 8192  # below MIN_WINDOW: no use to Ask
    model.learn_overflow(overflow("maximum context length is 1500 tokens"), PROMPT)
    assert model.context_window() == 1500 >= MIN_WINDOW
    later = time.monotonic() + openai.LEARNED_SECONDS + 1
    monkeypatch.setattr(openai.time, "monotonic", lambda: later)
    assert model.context_window() == 8192 and model.count_tokens("x" * 300) == estimated_tokens("x" * 300)


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": 400, "message": "request (9000 tokens) exceeds the available context size (4096 tokens)"}},
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 9000,
                "n_ctx": 4096,
            }
        },
    ],
)
def test_llama_cpps_own_server_teaches_the_model(body):
    """llama.cpp's `llama-server` says it in its own words, or only in fields beside its message: both teach."""
    import json

    from datasette_llm.models.http_client import error_message

    model = api_model()
    error = model._error(HttpFailure("status", error_message(json.dumps(body).encode()), status=400), PROMPT)
    assert isinstance(error, ContextOverflow) and error.learned
    assert model.context_window() == 4096 and model.count_message_tokens(PROMPT) >= 9000


def test_the_context_window_setting():
    assert api_model(context_window=4096).context_window() == 4096
    assert api_model().context_window() == 8192
    with pytest.raises(Exception, match="at least 1024"):
        api_model(context_window=700)


def server_count(server, text: str) -> int:
    response = httpx.post(
        server["base_url"].removesuffix("/v1") + "/extras/tokenize/count",
        json={"input": text},
        headers={"Authorization": f"Bearer {server['api_key']}"},
        timeout=30,
    )
    return response.json()["count"]


@pytest.mark.model
def test_a_real_servers_smaller_window_is_learned_from_a_stream(openai_server):
    """llama_cpp.server (a window of 2,048 tokens, the plugin assuming 8,192) ends a stream without a word when the
    prompt is too long; asked again without streaming, it says how long: the model learns the window and counts
    at least what the server counts, for that prompt and for rows like it."""
    model = chat_model_for(
        load_settings(
            {
                "chat_model": f"openai:{openai_server['model']}",
                "openai_base_url": openai_server["base_url"],
                "openai_api_key": openai_server["api_key"],
            },
            {},
        )
    )
    rows = "\n".join(
        f"{n} | {n * 7919 % 100003} | 2024-{n % 12 + 1:02d}-{n % 28 + 1:02d} | {n / 7:.4f}" for n in range(180)
    )
    messages = [{"role": "user", "content": f"How many rows?\n{rows}"}]
    assert model.count_message_tokens(messages) + 16 <= model.context_window()  # fits, as the model counts first

    async def collect():
        return [piece async for piece in model.stream(messages, ChatOptions(max_tokens=16))]

    with pytest.raises(ContextOverflow) as info:
        asyncio.run(collect())
    assert info.value.learned
    assert model.context_window() == 2048
    for text in (messages[0]["content"], rows.replace("|", ","), rows[: len(rows) // 3]):
        assert model.count_tokens(text) >= server_count(openai_server, text)


def test_one_refusal_never_leaves_too_small_a_window_for_a_question():
    """A refusal of a window of 1,024 that also counted 3 times the estimate left room for 341 estimated tokens:
    every question was refused for 10 minutes without asking the server (a third outside tester, session 37). The
    scale learned leaves room for a small SQL prompt and its reply."""
    from datasette_llm.models.openai import SMALLEST_PROMPT

    model = api_model()
    prompt_tokens = 3 * (sum(estimated_tokens(m["content"]) + 4 for m in PROMPT) + 3)
    model.learn_overflow(overflow(f"(n_prompt_tokens: {prompt_tokens}) (n_ctx: 1024) exceeds"), PROMPT)
    assert model.context_window() == 1024
    assert model.count_tokens("x" * 3000) * SMALLEST_PROMPT <= 1024 * (estimated_tokens("x" * 3000) + 1)


def test_a_long_server_message_keeps_the_sizes():
    """llama.cpp's sizes are read from beside its message, which is clipped at 300 characters: they come first."""
    import json

    from datasette_llm.models.http_client import error_message

    body = {"error": {"message": "too long " * 100, "n_prompt_tokens": 9000, "n_ctx": 4096}}
    model = api_model()
    assert model.learn_overflow(HttpFailure("status", error_message(json.dumps(body).encode()), status=400), PROMPT)
    assert model.context_window() == 4096


def test_a_scale_is_learned_for_its_asker_and_a_window_for_everyone():
    """How many tokens a server counts for a prompt measures what the prompt held: learned from an admin's prompt
    over a table bob may not see, it cut bob's rows ("4 of 30 rows shown"), an echo of the hidden rows (an outside
    tester's order oracle, session 38). The scale is kept per asker; the window, the server's own, for everyone."""
    from datasette_llm.models.reply_cache import SCOPE, ReplyScope

    model = api_model()
    text = "1234567890 " * 40

    def in_scope(key, work):
        token = SCOPE.set(ReplyScope(key))
        try:
            return work()
        finally:
            SCOPE.reset(token)

    refusal = overflow(
        "maximum context length is 4096 tokens. However, you requested 9000 tokens (8000 in the messages"
    )
    assert in_scope('{"id": "admin"}', lambda: model.learn_overflow(refusal, PROMPT))
    admins = in_scope('{"id": "admin"}', lambda: model.count_tokens(text))
    bobs = in_scope('{"id": "bob"}', lambda: model.count_tokens(text))
    anonymous = in_scope(None, lambda: model.count_tokens(text))
    assert bobs == anonymous == estimated_tokens(text) < admins
    assert in_scope('{"id": "bob"}', model.context_window) == 4096  # the server's window: everyone's
    # An asker who may not be told apart (no browser) learns for its own request alone.
    token = SCOPE.set(ReplyScope(None))
    try:
        assert model.learn_overflow(refusal, PROMPT) and model.count_tokens(text) > estimated_tokens(text)
    finally:
        SCOPE.reset(token)
    assert in_scope(None, lambda: model.count_tokens(text)) == estimated_tokens(text)


def test_a_scale_learned_in_the_models_thread_is_the_askers():
    """A refusal is learned where the request ran, in the model's worker thread: the asker's scope goes with it."""
    from datasette_llm.models.reply_cache import SCOPE, ReplyScope

    model = api_model()
    refusal = overflow(
        "maximum context length is 8192 tokens. However, you requested 9000 tokens (8000 in the messages"
    )

    async def refused_in_the_worker():
        token = SCOPE.set(ReplyScope('{"id": "admin"}'))
        try:
            return await model._gate.run(
                model.name, lambda: model.learn_overflow(refusal, PROMPT), threading.Event(), 10, "timed out"
            )
        finally:
            SCOPE.reset(token)

    assert asyncio.run(refused_in_the_worker())
    token = SCOPE.set(ReplyScope('{"id": "admin"}'))
    try:
        assert model.count_tokens("1234567890 " * 40) > estimated_tokens("1234567890 " * 40)
    finally:
        SCOPE.reset(token)
