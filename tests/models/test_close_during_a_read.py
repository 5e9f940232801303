"""Closing a model (what the process does at exit) while another thread reads a prompt on it: the read stops, the
contexts are freed only after it has, and the model loads afresh when used again. Freed under the start-up warm-up's
read, a server stopped in its first seconds ended with a segmentation fault (CI, session 48)."""

import threading
import time

import pytest

pytestmark = pytest.mark.no_datasette


@pytest.mark.model
def test_a_close_stops_the_read_and_then_frees_the_contexts(default_gguf):
    from datasette_llm.models import ChatOptions
    from datasette_llm.models.llama_cpp import LlamaCppChatModel

    model = LlamaCppChatModel("closing", default_gguf, n_ctx=2048)
    llama = model._model("default")
    tokens = llama.tokenize((" apples and pears" * 400).encode(), add_bos=True)[:1500]  # seconds of reading here
    outcome = {}

    def read():
        with model._run_lock:
            outcome["read"] = model._read(llama, tokens)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.5)  # inside the read
    started = time.monotonic()
    model.close()
    closed_after = time.monotonic() - started
    reader.join(timeout=30)
    assert not reader.is_alive() and outcome == {"read": False}  # stopped, not read to the end
    assert model._contexts == {} and closed_after < 5, closed_after
    reply = model.complete([{"role": "user", "content": "Say yes."}], ChatOptions(max_tokens=4))
    assert reply.text.strip()  # loaded afresh
    model.close()
