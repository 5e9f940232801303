"""llama.cpp threads follow the cores other processes leave free."""

import subprocess
import sys

import pytest

from datasette_llm.models.cpu_load import CpuLoad, lasting_load, threads_for

# The llama.cpp backend alone: the Datasette 1.0 leg of the test command leaves these model tests out.
pytestmark = pytest.mark.no_datasette


def test_threads_for_free_cores():
    assert threads_for(2, None) == 2  # unknown: all cores
    assert threads_for(2, 0.1) == 2
    assert threads_for(2, 0.7) == 1  # another process keeps a core mostly busy
    assert threads_for(2, 3.0) == 1  # never fewer than one
    assert threads_for(8, 2.2) == 6


def test_a_busy_process_elsewhere_is_seen():
    load = CpuLoad()
    spin = "import time\nend = time.time() + 2.6\nwhile time.time() < end: pass"
    subprocess.run([sys.executable, "-c", spin], check=True)
    assert load.others_busy() > 0.5


def _samples(loads: list[float], step: float = 0.25) -> list:
    """Samples every `step` seconds while others keep loads[i] cores busy in step i (this process idle)."""
    samples, busy = [(0.0, 0.0, 0.0)], 0.0
    for i, cores in enumerate(loads, start=1):
        busy += cores * step
        samples.append((i * step, busy, 0.0))
    return samples


def test_only_load_that_lasts_and_is_recent_counts():
    """A page loading keeps a core busy for a few tenths of a second right before a question: not load that
    lasts. Another process busy for seconds is, while it runs, and is forgotten a second or two after it ends."""
    burst = _samples([0.0] * 8 + [1.0, 1.0])  # quiet, then half a second of one busy core
    assert lasting_load(burst[:-1], burst[-1]) < 0.5
    steady = _samples([1.0] * 10)
    assert lasting_load(steady[:-1], steady[-1]) > 0.9
    ended = _samples([2.0] * 40 + [0.0] * 8)  # ten busy seconds, then two quiet ones
    assert lasting_load(ended[:-1], ended[-1]) == 0.0
    assert lasting_load(steady[:5], steady[5]) is None  # not two windows of samples yet: unknown
    own = [(0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (2.0, 2.0, 2.0)]  # the busy work is this process's own
    assert lasting_load(own[:-1], own[-1]) == 0.0
    assert [threads_for(2, lasting_load(s[:-1], s[-1])) for s in (burst, steady, ended)] == [2, 1, 2]


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
