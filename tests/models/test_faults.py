"""Model faults: the user gets a clear error, nothing hangs past its timeout, and the next request works."""

import asyncio
import json
import os
import subprocess
import time

import pytest
from fault_server import FaultServer
from hypothesis import given, settings
from hypothesis import strategies as st
from server_helpers import ARTIFACTS, free_port, llama_server_command, stop, wait_for_http

from datasette_llm.config import load_settings
from datasette_llm.errors import ModelError, ModelNotReady, ModelTimeout, ModelUnavailable
from datasette_llm.models import ChatOptions, chat_model_for
from datasette_llm.models.llama_cpp import LlamaCppChatModel

pytestmark = pytest.mark.no_datasette

HELLO = [{"role": "user", "content": "Reply with exactly the word: pineapple"}]


def model_for(base_url, timeout=3.0):
    return chat_model_for(
        load_settings(
            {"chat_model": "openai:m", "openai_base_url": base_url, "openai_api_key": "k", "model_timeout": timeout}, {}
        )
    )


def test_hanging_server_times_out_then_recovers():
    with FaultServer("hang") as server:
        model = model_for(server.base_url, timeout=1.5)
        started = time.monotonic()
        with pytest.raises(ModelTimeout) as info:
            asyncio.run(model.chat(HELLO))
        assert time.monotonic() - started < 3.0
        assert "did not answer within" in info.value.message and info.value.status == 504
        server.behaviour = "ok"
        model.timeout = 30  # the same model (same worker and queue) recovers; the budget only guards a busy CI
        assert "select 1" in asyncio.run(model.chat(HELLO)).text


def test_a_timed_out_request_is_never_sent_again():
    """The user was told it timed out (504): the server must not get it again (the OpenAI client's own retries
    sent it twice more, found by an outside attacker), and its place in the queue is free once it has ended."""
    with FaultServer("hang") as server:
        model = model_for(server.base_url, timeout=1.0)
        with pytest.raises(ModelTimeout):
            asyncio.run(model.chat(HELLO))
        time.sleep(3.5)  # the client's retries came at about +1.5 s and +3 s
        assert server.requests == 1
        assert model._gate.waiting == 0


def test_invalid_json_is_a_clear_model_error():
    with FaultServer("invalid_json") as server:
        with pytest.raises(ModelError) as info:
            asyncio.run(model_for(server.base_url).chat(HELLO))
        assert info.value.status == 502 and "unusable response" in info.value.message


def test_429_is_retried_with_backoff_then_reported():
    with FaultServer("429") as server:
        with pytest.raises(ModelError) as info:
            asyncio.run(model_for(server.base_url, timeout=20).chat(HELLO))
        assert "429" in info.value.message and info.value.status == 503
        assert server.requests == 3  # the first try and two retries


def test_500_is_retried_then_reported_and_next_request_works():
    with FaultServer("500") as server:
        model = model_for(server.base_url, timeout=20)
        with pytest.raises(ModelError) as info:
            asyncio.run(model.chat(HELLO))
        assert "HTTP 500" in info.value.message and server.requests == 3
        server.behaviour = "ok"
        assert asyncio.run(model.chat(HELLO)).text


def test_real_server_killed_mid_request(default_gguf, caplog):
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)

    def start():
        log = open(ARTIFACTS / "killed_server.log", "a")
        process = subprocess.Popen(
            llama_server_command(default_gguf, port, n_ctx=1024, alias="m"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_http(f"http://127.0.0.1:{port}/v1/models", process)
        return process

    process = start()
    model = model_for(f"http://127.0.0.1:{port}/v1", timeout=60)
    long_request = [{"role": "user", "content": "Write the numbers from 1 to 500, one per line."}]

    async def kill_during():
        task = asyncio.create_task(model.chat(long_request, ChatOptions(max_tokens=400)))
        await asyncio.sleep(2.0)
        process.kill()
        return await task

    started = time.monotonic()
    try:
        with pytest.raises((ModelUnavailable, ModelError)) as info:
            asyncio.run(kill_during())
        assert time.monotonic() - started < 60
        # The asker is not told the operator's model server address (session 34); the log says where and why.
        assert "model server" in info.value.message and "127.0.0.1" not in info.value.message
        assert f"127.0.0.1:{port}" in caplog.text
    finally:
        stop(process)
    process = start()
    try:
        assert "pineapple" in asyncio.run(model.chat(HELLO, ChatOptions(max_tokens=8))).text.lower()
    finally:
        stop(process)


def test_local_model_file_deleted_while_serving(default_gguf, tmp_path):
    link = tmp_path / "model.gguf"
    os.link(default_gguf, link)  # a second name for the same file: deleting it costs nothing
    model = LlamaCppChatModel("linked", link, n_ctx=512)
    assert "pineapple" in model.complete(HELLO, ChatOptions(max_tokens=8)).text.lower()
    link.unlink()
    started = time.monotonic()
    with pytest.raises(ModelNotReady) as info:
        asyncio.run(model.chat(HELLO, ChatOptions(max_tokens=8)))
    assert "does not exist" in info.value.message and time.monotonic() - started < 5
    os.link(default_gguf, link)
    assert "pineapple" in asyncio.run(model.chat(HELLO, ChatOptions(max_tokens=8))).text.lower()


# -- a hostile model server (an outside attacker's, session 14): bounded in time, size, and where it sends ----


def embedding_model_at(base_url, timeout=3.0):
    from datasette_llm.models import embedding_model_for

    settings = {"embedding_model": "openai:e", "openai_base_url": base_url, "openai_api_key": "k"}
    return embedding_model_for(load_settings({**settings, "model_timeout": timeout}, {}))


@pytest.mark.parametrize("behaviour", ["drip", "drip_headers", "byte_then_silence"])
def test_a_server_sending_a_byte_at_a_time_ends_at_the_timeout_and_frees_its_place(behaviour):
    """Its timeout restarted with every byte (of the body, then, found by a second attacker, of the headers):
    the request, and its place in the queue, were held for ever."""
    with FaultServer(behaviour) as server:
        model = model_for(server.base_url, timeout=1.5)
        started = time.monotonic()
        with pytest.raises(ModelTimeout):
            asyncio.run(model.chat(HELLO))
        time.sleep(0.6)  # the worker reads one more byte, then finds its deadline passed
        assert model._gate.waiting == 0 and time.monotonic() - started < 3.0
        server.behaviour = "ok"
        assert "select 1" in asyncio.run(model.chat(HELLO)).text


@pytest.mark.parametrize(
    "behaviour, words",
    [
        ("endless", "larger than"),  # +3 GB before
        ("gzip", "compressed"),  # +2 GB before
        ("redirect", "redirect"),  # followed to any host, with the prompt
        ("nested", "nests deeper"),  # refused before parsing: a RecursionError upset CPython 3.11 (CI)
        ("content_number", "not text"),
    ],
)
def test_a_hostile_reply_is_a_clear_error_read_within_bounds(behaviour, words):
    import resource

    with FaultServer(behaviour) as server:
        model = model_for(server.base_url, timeout=10)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pytest.raises(ModelError) as info:
            asyncio.run(model.chat(HELLO))
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert words in info.value.message and info.value.status == 502, info.value.message
        assert grown_mb < 64, grown_mb
        assert server.paths == ["/v1/chat/completions"]  # never sent again, never redirected


@settings(max_examples=25, deadline=None)
@given(
    status=st.sampled_from([200, 301, 302, 303, 307, 308, 400, 401, 403, 404, 413, 429, 500, 502, 503]),
    encoding=st.sampled_from(["", "gzip", "br", "x-MARK"]),
    body=st.sampled_from(["", '{"error": {"message": "MARK"}}', "MARK", '{"choices": "MARK"}']),
    place=st.sampled_from(["location", "encoding", "reason", "header", "body"]),
)
def test_what_a_model_server_sends_never_reaches_the_asker(status, encoding, body, place):
    """Whatever a server puts in its status line, headers or body, the asker is told what went wrong in the plugin's
    words, never the server's: a redirect's Location (a host, a password, a token) and a body's Content-Encoding
    were shown to any asker, anonymous included (an outside tester, session 39). A marker stands for the server's
    text, in the one place drawn (the others plain); the log may have it, the error never."""
    marker = "S3CRET-0e1f"
    location = f"http://user:{marker}@internal.example/v1?token={marker}" if place == "location" else "/v1/x"
    encoding = encoding.replace("MARK", marker) if place == "encoding" or "MARK" not in encoding else "deflate"
    if place == "encoding" and not encoding:
        encoding = f"x-{marker}"
    reason = marker if place == "reason" else "Whatever"
    text = body.replace("MARK", marker if place == "body" else "no")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nConnection: close\r\n"
    head += f"Location: {location}\r\nX-Server: {marker if place == 'header' else 'x'}\r\n"
    if encoding:
        head += f"Content-Encoding: {encoding}\r\n"
    with FaultServer("verbatim") as server:
        server.verbatim = f"{head}Content-Length: {len(text)}\r\n\r\n{text}".encode()
        try:
            asyncio.run(model_for(server.base_url, timeout=5).chat(HELLO))
        except ModelError as error:
            shown = json.dumps(error.to_json()) + error.message
            assert marker not in shown, shown
            assert "s3cret" not in shown.lower()


def test_a_stream_that_ends_before_the_reply_does_is_an_error_and_never_kept():
    """A body that ended cleanly without [DONE] or a finish_reason was a whole reply: "pineapp" shown with no
    note and served from the reply cache to the next asking (an outside tester, session 32)."""

    async def read(model):
        return "".join([piece async for piece in model.stream(HELLO, ChatOptions(max_tokens=20))])

    with FaultServer("stream_cut") as server:
        model = model_for(server.base_url)
        model.kept_replies.entries = 8
        for _ in range(2):
            with pytest.raises(ModelError) as info:
                asyncio.run(read(model))
            assert "ended before the server said it was complete" in info.value.message
        assert server.requests == 2 and len(model.kept_replies) == 0
    with FaultServer("stream_finished") as server:
        model = model_for(server.base_url)
        assert asyncio.run(read(model)) == "pineapple"


def test_an_error_body_is_clipped_and_odd_text_is_made_safe():
    with FaultServer("huge_error") as server:
        with pytest.raises(ModelError) as info:
            asyncio.run(model_for(server.base_url).chat(HELLO))
        assert "HTTP 400" in info.value.message and len(info.value.message) < 500  # 5 MB before
        server.behaviour = "surrogate"  # "\ud800" cannot be encoded: it failed later, as a 500
        result = asyncio.run(model_for(server.base_url).chat(HELLO))
        assert result.text.startswith("```sql") and "\ud800" not in result.text
        result.text.encode("utf-8")


@pytest.mark.asyncio
async def test_vectors_that_are_not_numbers_are_refused_never_cached():
    """A NaN query vector was cached: every later search for the same words scored NaN (invalid JSON)."""
    from datasette_llm.embeddings.index import QueryEmbeddings

    with FaultServer("nan_vectors") as server:
        model = embedding_model_at(server.base_url)
        cache = QueryEmbeddings()
        for behaviour in ("nan_vectors", "short_vectors"):
            server.behaviour = behaviour
            with pytest.raises(ModelError) as info:
                await cache.get(model, "rocket fuel")
            assert "unusable response" in info.value.message
        server.behaviour = "ok"
        vector = await cache.get(model, "rocket fuel")
        assert abs(float(vector[0]) - 0.6) < 1e-6 and abs(float(vector[1]) - 0.8) < 1e-6
        # Finite in float64, out of float32's range: they became zeros or infinities (a second attacker).
        for behaviour in ("scaled_vectors", "tiny_vectors"):
            server.behaviour = behaviour
            vector = await cache.get(model, f"rocket fuel {behaviour}")
            assert abs(float(vector[0]) - 0.6) < 1e-6 and abs(float(vector[1]) - 0.8) < 1e-6, vector
        # A vector that proved unusable (dimensions no index has) is forgotten: the next search embeds again.
        cache.forget(model, "rocket fuel")
        server.behaviour = "nan_vectors"
        with pytest.raises(ModelError):
            await cache.get(model, "rocket fuel")


def test_the_environments_proxy_is_used_and_bounded_too(monkeypatch):
    """The OpenAI client used HTTP(S)_PROXY; a transport of one's own makes httpx ignore them."""
    with FaultServer("ok") as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("http_proxy", raising=False)
        assert "select 1" in asyncio.run(model_for("http://models.example/v1").chat(HELLO)).text
        assert proxy.paths == ["http://models.example/v1/chat/completions"]  # asked of the proxy
        proxy.behaviour = "drip_headers"
        model = model_for("http://models.example/v1", timeout=1.5)
        with pytest.raises(ModelTimeout):
            asyncio.run(model.chat(HELLO))
        time.sleep(0.6)
        assert model._gate.waiting == 0
        monkeypatch.setenv("NO_PROXY", "models.example")
        from datasette_llm.models.http_client import environment_proxy

        assert environment_proxy("http://models.example/v1") is None


def test_an_httpx_without_the_pool_to_bound_fails_loudly(monkeypatch):
    """The deadline lives in the connection pool given to httpx's transport; an httpx that keeps its pool
    elsewhere must be refused at once, never used without the deadline."""
    import httpx

    class PoolElsewhere(httpx.HTTPTransport):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            del self._pool

    monkeypatch.setattr(httpx, "HTTPTransport", PoolElsewhere)
    with pytest.raises(ModelNotReady, match="httpx<0.29"):
        asyncio.run(model_for("http://127.0.0.1:9").chat(HELLO))
