"""The one model interface every backend implements: chat (with streaming) and embeddings.

Backends implement the blocking methods (`_complete`, `_stream`, `_embed`); this module adds the async
wrappers that keep Datasette's event loop free, serialise access where a backend needs it, bound the queue
and enforce timeouts (through gate.py), so every backend behaves the same under load.
"""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..errors import ContextOverflow, ModelError, ModelTimeout
from .gate import Gate, abandon, awaitable
from .reply_cache import ReplyCache


@dataclass(frozen=True)
class ChatOptions:
    max_tokens: int = 512
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    seed: int | None = 0
    top_p: float = 1.0
    # Backends with a prompt cache (llama.cpp) keep one cache per slot, so SQL prompts (which share the
    # schema prefix) and answer prompts do not evict each other.
    cache_slot: str = "default"
    # The start of the prompt that many requests share (a database's schema): backends that can save the
    # model state after it (llama.cpp) do so once and load it for every later request that starts with it.
    prefix: str = ""
    # Or: the first this many messages are that shared start (a schema and the examples kept for every question).
    # Backends that render the prompt themselves (llama.cpp) save the state after them as after `prefix`.
    prefix_messages: int = 0
    # With `prefix_messages`: how the message after them starts on every request that shares them ("Question:").
    # Saved with them, it is not read again after each load (the end of a turn, the next one's role and that start:
    # 6 to 19 tokens a request; an outside tester, session 41).
    prefix_next: str = ""
    # The start of the reply, when the caller knows it ("```sql\n"): backends that render their own prompts
    # (llama.cpp) put it in the prompt instead of writing it token by token; the reply text includes it either way.
    reply_prefix: str = ""
    # A test of the text written after `reply_prefix`: once it holds, the reply is complete and writing stops
    # (a SQL reply ends with its statement). Backends that put `reply_prefix` in the prompt (llama.cpp) apply it.
    complete_when: Callable[[str], bool] | None = None


def reply_check(complete_when: Callable[[str], bool] | None) -> Callable[[str], bool]:
    """For a backend's writing loop: called with each piece as it is written, True once the reply so far is
    complete by ChatOptions.complete_when (never, without one)."""
    if complete_when is None:
        return lambda piece: False
    written: list[str] = []

    def complete(piece: str) -> bool:
        written.append(piece)
        return complete_when("".join(written))

    return complete


@dataclass(frozen=True)
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    model: str
    cached: bool = False  # written before for the same prompt (reply_cache.py): nothing read, nothing written


@dataclass(frozen=True)
class ModelStatus:
    name: str
    backend: str
    kind: str  # "chat" or "embedding"
    ready: bool
    detail: str
    context_window: int | None = None


Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


def message_tokens(messages: Sequence[Message], count_tokens: Callable[[str], int]) -> int:
    """The tokens of a chat prompt, its texts counted by `count_tokens`: ChatML wraps each message in about 4
    template tokens; the reply header adds 3."""
    return sum(count_tokens(m["content"]) + 4 for m in messages) + 3


class ChatModel(ABC):
    backend: str = "?"
    workers: int = 1
    # Whether the backend keeps a prompt cache that a warm-up can fill (llama.cpp does; HTTP APIs do not).
    prompt_cache: bool = False

    def __init__(self, name: str, *, queue_limit: int = 4, timeout: float = 180.0, reply_cache: int = 0):
        self.name = name
        self.timeout = timeout
        self._gate = Gate(self.workers, queue_limit)
        self.kept_replies = ReplyCache(reply_cache)  # replies already written, by prompt (none kept by default)
        self._questions = 0  # questions under way (expecting()), from their first stage

    # -- what a backend implements ---------------------------------------------------------------
    @abstractmethod
    def context_window(self) -> int: ...

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    @abstractmethod
    def _complete(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> ChatResult: ...

    def _stream(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> Iterator[str]:
        yield self._complete(messages, options, cancel).text

    @abstractmethod
    def status(self) -> ModelStatus: ...

    # -- shared behaviour ------------------------------------------------------------------------
    def count_message_tokens(self, messages: Sequence[Message]) -> int:
        return message_tokens(messages, self.count_tokens)

    def check_fits(self, messages: Sequence[Message], options: ChatOptions) -> int:
        prompt = self.count_message_tokens(messages)
        window = self.context_window()
        if prompt + options.max_tokens > window:
            raise ContextOverflow(
                f"The prompt is {prompt} tokens and the reply needs up to {options.max_tokens}, "
                f"but {self.name} has a context window of {window} tokens.",
                prompt_tokens=prompt,
                context_window=window,
            )
        return prompt

    def complete(self, messages: list[Message], options: ChatOptions = ChatOptions()) -> ChatResult:
        """Blocking call for scripts and the CLI (no queue)."""
        self.check_fits(messages, options)
        return self._complete(messages, options, threading.Event())

    async def chat(self, messages: list[Message], options: ChatOptions = ChatOptions()) -> ChatResult:
        """Run a completion off the event loop, queued behind at most `queue_limit` requests (a reply already
        written for the same prompt comes back at once: reply_cache.py)."""
        key = self.kept_replies.key(self.name, messages, options)
        kept = self.kept_replies.get(key, options.max_tokens)
        if kept is not None:
            return ChatResult(kept, 0, 0, 0.0, self.name, cached=True)
        self.check_fits(messages, options)
        cancel = threading.Event()
        result = await self._gate.run(
            self.name,
            lambda: self._complete(messages, options, cancel),
            cancel,
            self.timeout,
            f"The model {self.name} did not answer within {self.timeout:.0f} seconds.",
        )
        self.kept_replies.put(key, result.text, result.completion_tokens, options.max_tokens)
        return result

    def busy(self) -> bool:
        """Whether a request is running or waiting, or a question that will make one is under way: warm-ups give
        way to it."""
        return self._gate.waiting > 0 or self._questions > 0

    @contextmanager
    def expecting(self):
        """A question under way that will call the model: busy() from its first stage, not only once its first
        call is queued (a warm-up piece started while a question read its schema, and its SQL waited behind the
        piece; an outside tester, session 42). Entered and left on the event loop."""
        self._questions += 1
        try:
            yield
        finally:
            self._questions -= 1

    def reading_speed(self) -> float | None:
        """Prompt tokens read per second as measured on this machine, if the backend knows."""
        return None

    def writing_speed(self) -> float | None:
        """Tokens written per second as measured on this machine, if the backend knows."""
        return None

    async def warm(self, messages: list[Message], options: ChatOptions) -> bool:
        """Read `messages` (up to `options.prefix` where the backend saves prefix states) into the prompt cache
        of `options.cache_slot`, so a request that starts with the same prefix skips that work. Only when idle:
        a warm-up never queues ahead of or behind real work. Returns whether the prefix is ready."""
        if not self.prompt_cache or self.busy():
            return False
        return await self._warm(messages, options)

    def open_slots(self, slots: Sequence[str]) -> None:
        """Load what requests on these cache slots need (a local model's contexts) ahead of the first request
        (blocking). Backends with nothing local to load have nothing to do."""
        return None

    def prepare_prefix(self, messages: list[Message], options: ChatOptions, should_stop=lambda: False) -> bool:
        """Save the model state after `options.prefix` of `messages` (blocking, for background warm-ups that
        stop when `should_stop()` says so). Backends without saved prefix states have nothing to do."""
        return False

    async def _warm(self, messages: list[Message], options: ChatOptions) -> bool:
        await self.chat(messages, ChatOptions(max_tokens=1, cache_slot=options.cache_slot))
        return True

    async def stream(self, messages: list[Message], options: ChatOptions = ChatOptions()) -> AsyncIterator[str]:
        """Yield text pieces as the model produces them (a reply already written for the same prompt: at once, in
        one piece; one the caller stops reading is not kept)."""
        key = self.kept_replies.key(self.name, messages, options)
        kept = self.kept_replies.get(key, options.max_tokens)
        if kept is not None:
            yield kept
            return
        self.check_fits(messages, options)
        cancel = threading.Event()
        pieces: list[str] = []
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        done = object()

        def produce():
            try:
                for piece in self._stream(messages, options, cancel):
                    if cancel.is_set():
                        break
                    loop.call_soon_threadsafe(queue.put_nowait, piece)
            except BaseException as error:  # handed to the consumer, raised there
                loop.call_soon_threadsafe(queue.put_nowait, error)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        deadline = time.monotonic() + self.timeout
        future = await self._gate.submit_when_admitted(self.name, produce, cancel, deadline)
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    item = await asyncio.wait_for(queue.get(), max(0.01, remaining))
                except asyncio.TimeoutError:
                    raise ModelTimeout(
                        f"The model {self.name} did not finish within {self.timeout:.0f} seconds."
                    ) from None
                if item is done:
                    break
                if isinstance(item, BaseException):
                    raise item
                pieces.append(item)
                yield item
            # produce() gives its place back as it returns, just after `done`: a stream that has ended holds none
            # (a request right after it could be refused as busy; a loaded CI run, session 28).
            await awaitable(future)
            if key is not None and not cancel.is_set():
                text = "".join(pieces)
                self.kept_replies.put(key, text, self.count_tokens(text) if text else 0, options.max_tokens)
        finally:
            abandon(future, cancel)  # finished: nothing to drop; given up: stop writing


class EmbeddingModel(ABC):
    backend: str = "?"

    def __init__(self, name: str, *, queue_limit: int = 512, timeout: float = 60.0):
        # Embedding one query takes milliseconds, so a deep queue drains fast: measured with
        # benchmarks/load.py, a limit of 8 turned 184 of 200 concurrent searches into 503s.
        self.name = name
        self.timeout = timeout
        self._gate = Gate(1, queue_limit)

    @property
    @abstractmethod
    def dimensions(self) -> int: ...

    @abstractmethod
    def _embed(self, texts: Sequence[str]) -> np.ndarray: ...

    @abstractmethod
    def status(self) -> ModelStatus: ...

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Blocking: texts in, L2-normalised float32 vectors out, shape (len(texts), dimensions)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        parts = [self._embed(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        vectors = normalise(np.vstack(parts))
        norms = np.linalg.norm(vectors, axis=1)
        if not (np.isfinite(vectors).all() and (norms > 0.5).all()):  # NaN, infinities, zeros: cached, they would
            # score every later search for the same words NaN (invalid JSON) or 0
            raise ModelError(f"The embedding model {self.name} returned vectors that are not usable numbers.")
        return vectors

    async def aembed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        texts = list(texts)
        return await self._gate.run(
            self.name,
            lambda: self.embed(texts, batch_size),
            threading.Event(),
            self.timeout,
            f"The embedding model {self.name} timed out.",
        )


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)
