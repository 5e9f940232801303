"""Stopping llama.cpp inside a batch it is reading, when a question is given up or arrives during a warm-up.

llama.cpp decodes a batch of up to n_batch tokens in one call that Python cannot interrupt: 512 tokens took
21-201 s on a loaded machine, and a question given up at its timeout, or the first question behind a warm-up
piece, waited for the batch to end (an outside tester, session 43). Smaller pieces cost more: a 16-token piece used
about 5 times the CPU a token of a 512-token batch does. llama.cpp's abort callback, called between the steps of a
decode, stops it there: `llama_decode` returns 2 and llama.cpp removes what it wrote of that batch, so the context
holds what it held before the call.

The callback only reads one byte: libc's `strlen` over a two-byte buffer answers 0 ("go on") or 1 ("stop"),
without Python. A Python callback takes the GIL at each of the ~650 steps of a batch: measured here, reading 256
tokens took 9.3-9.5 s against 7.2-7.6 s while another Python thread was busy (as the server's event loop can be),
and the same with `strlen`. A thread of ours looks at the request's own stop test every WATCH_SECONDS and sets the
byte. Where no `strlen` can be found, or the context has no abort callback, reading stops between batches only.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WATCH_SECONDS = 0.05


def _byte_reader():
    """libc's strlen as a ggml_abort_callback (`bool (*)(void *)`): 0 or 1 for a buffer we keep at b"\\0\\0" or
    b"\\1\\0", returned where a bool is on every ABI llama.cpp builds for. None where either cannot be found."""
    try:
        from llama_cpp import ggml_abort_callback
    except ImportError:
        return None
    for load in (lambda: ctypes.CDLL(None), lambda: ctypes.cdll.msvcrt):
        try:
            return ctypes.cast(load().strlen, ggml_abort_callback)
        except (OSError, AttributeError):
            continue
    return None


class DecodeStop:
    """One stop byte for the contexts of one model (they compute one at a time)."""

    def __init__(self):
        self._byte = ctypes.create_string_buffer(2)
        self._callback = _byte_reader()  # kept here as long as any context may call it
        self._contexts: set[int] = set()  # id() of the Llama objects that read the byte

    def install(self, llama) -> bool:
        """Have `llama` read the stop byte during its decodes; False where it cannot."""
        self._contexts.discard(id(llama))  # an id a closed context had may come again
        if self._callback is None:
            return False
        try:
            from llama_cpp import llama_set_abort_callback

            llama_set_abort_callback(llama._ctx.ctx, self._callback, ctypes.cast(self._byte, ctypes.c_void_p))
        except (ImportError, AttributeError, ctypes.ArgumentError):
            return False
        self._contexts.add(id(llama))
        return True

    def stops(self, llama) -> bool:
        """Whether `llama` can be stopped inside a batch."""
        return id(llama) in self._contexts

    def raised(self) -> bool:
        return self._byte.raw[0] == 1

    @contextmanager
    def watching(self, stop: Callable[[], bool]) -> Iterator[None]:
        """While the block runs, set the byte as soon as `stop()` says so; clear it after, so that nothing read
        later (the reply's tokens) is stopped by it."""
        self._byte.raw = b"\0\0"
        done = threading.Event()

        def watch():
            while not done.wait(WATCH_SECONDS):
                if stop():
                    self._byte.raw = b"\1\0"
                    return

        watcher = threading.Thread(target=watch, name="datasette-llm-stop", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
            self._byte.raw = b"\0\0"
