"""llama.cpp threads follow the cores other processes leave free."""

import subprocess
import sys

import pytest

from datasette_llm.models.cpu_load import CpuLoad, threads_for

# The llama.cpp backend alone: the Datasette 1.0 leg of the test command leaves these model tests out.
pytestmark = pytest.mark.backend


def test_threads_for_free_cores():
    assert threads_for(2, None) == 2  # unknown: all cores
    assert threads_for(2, 0.1) == 2
    assert threads_for(2, 0.7) == 1  # another process keeps a core mostly busy
    assert threads_for(2, 3.0) == 1  # never fewer than one
    assert threads_for(8, 2.2) == 6


def test_a_busy_process_elsewhere_is_seen():
    load = CpuLoad()
    spin = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass"
    subprocess.run([sys.executable, "-c", spin], check=True)
    assert load.others_busy() > 0.5
    assert load.others_busy() is None  # no time has passed: no new judgement


def test_a_burst_of_other_work_is_not_taken_to_last(monkeypatch):
    """A page loading keeps a core busy for a few tenths of a second: one short busy window is not load that
    lasts (the model keeps its threads), two in a row are, and so is one long window."""
    from datasette_llm.models import cpu_load

    samples = iter(
        [
            (0.0, 0.0, 0.0),  # CpuLoad() starts here
            (0.5, 0.4, 0.0),  # 0.5 s, others 0.8 cores: a burst so far
            (1.0, 0.8, 0.0),  # 0.5 s more of the same: it lasts
            (1.5, 0.8, 0.0),  # quiet again
            (1.8, 1.0, 0.0),  # a short burst after a quiet window
            (3.8, 2.6, 0.0),  # 2 s at 0.8 cores: long enough to judge alone
            (4.0, 2.6, 0.1),  # this process itself busy: not others' load
        ]
    )
    monkeypatch.setattr(cpu_load, "_sample", lambda: next(samples))
    load = CpuLoad()
    judged = [load.others_busy() for _ in range(6)]
    assert [round(value, 2) for value in judged] == [0.0, 0.8, 0.0, 0.0, 0.8, 0.0]
    assert [threads_for(2, value) for value in judged] == [2, 1, 2, 2, 1, 2]


@pytest.mark.model
def test_threads_are_chosen_again_while_writing(default_gguf, monkeypatch):
    """A burst of other work before a request (a page loading) must not keep the whole reply on one thread."""
    from datasette_llm.models import ChatOptions, llama_cpp
    from datasette_llm.models.llama_cpp import LlamaCppChatModel

    monkeypatch.setattr(llama_cpp, "THREAD_CHECK_SECONDS", 0.0)
    model = LlamaCppChatModel("adaptive", default_gguf, n_ctx=512, draft_tokens=16)
    model.n_threads = 2
    loads = iter([1.5] + [0.0] * 1000)  # busy before the request, quiet from then on
    monkeypatch.setattr(model._load, "others_busy", lambda: next(loads))
    chosen = []
    try:
        llama = model._model("default")
        real = llama._ctx.set_n_threads
        monkeypatch.setattr(llama._ctx, "set_n_threads", lambda n, b: chosen.append(n) or real(n, b))
        model.complete([{"role": "user", "content": "Count from 1 to 20."}], ChatOptions(max_tokens=24))
        assert chosen[:2] == [1, 2]  # one thread at the start, both once the other work stopped
    finally:
        model.close()
