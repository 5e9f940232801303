"""Local GGUF chat models through llama-cpp-python: loaded once, reused, one request at a time.

A request may name the `prefix` its prompt shares with others (a database's schema): the model state after
it is saved to disk once (prompt_states.py) and loaded, never computed again, by any later request or process.

The model file is opened by llama_cpp_load.py, prompts are rendered by llama_cpp_prompt.py, what a context holds is
read and restored by llama_cpp_context.py, and greedy requests are written by the loop in llama_cpp_greedy.py; this
module holds the model: its contexts, locks and measures.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..errors import ContextOverflow, ModelError, ModelNotReady
from .base import ChatModel, ChatOptions, ChatResult, Message, ModelStatus, reply_check
from .cpu_load import CpuLoad, threads_for
from .llama_cpp_context import FIRST_PREFIX_PIECE, PREFIX_CHUNK, ContextReads  # noqa: F401 - imported from here too
from .llama_cpp_greedy import greedy_pieces
from .llama_cpp_load import close_at_exit, open_llama
from .llama_cpp_prompt import (
    chat_formatter,
    render_prompt,
)
from .llama_cpp_stop import DecodeStop
from .lookup_decoding import Drafter
from .prompt_states import PrefixStates, model_identity

# While writing, the thread count is chosen again this often from the cores other work used meanwhile: chosen
# only at the start, a burst before the request (a browser loading the Ask page) kept a whole answer on 1 thread.
THREAD_CHECK_SECONDS = 0.5
# close() waits this long at most for a computation on the contexts to end (a reply being written ends by itself).
CLOSE_WAIT_SECONDS = 10.0
# Sampling settings of llama-cpp-python's create_chat_completion, which this model used before it rendered
# its own prompts: kept so that sampled candidates stay what they were.
CHAT_SAMPLING = dict(top_k=40, min_p=0.05, typical_p=1.0, repeat_penalty=1.0)


class LlamaCppChatModel(ContextReads, ChatModel):
    backend = "llama_cpp"
    workers = 1  # a llama.cpp context is not thread-safe
    prompt_cache = True  # llama-cpp-python reuses the longest common token prefix of the previous prompt

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        resolve_path=None,
        state_dir: Path | None = None,
        n_batch: int = 512,
        n_ubatch: int = 512,
        use_extra_bufts: bool = False,
        draft_tokens: int = 0,
        **kwargs,
    ):
        super().__init__(name, **kwargs)
        self.path = Path(path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        # Without an explicit n_threads, each request uses the cores other processes leave free (cpu_load.py).
        self._adaptive = n_threads is None
        self._load = CpuLoad()
        self._threads_in_use: dict = {}  # id(Llama) -> threads it is set to
        self.n_batch, self.n_ubatch = n_batch, n_ubatch
        # Weight repacking ("extra buffer types") made prompt reading slower here, and with a native build it
        # selects AMX kernels that crash on CPUs that advertise AMX without supporting it.
        self.use_extra_bufts = use_extra_bufts
        # Greedy requests check up to this many tokens guessed from the prompt in one pass (lookup_decoding.py).
        self.draft_tokens = max(0, draft_tokens)
        self.last_drafts: dict = {}  # how the last greedy request's guesses fared (benchmarks read it)
        # `resolve_path` verifies the default model (hash) before loading; custom GGUF files are used as is.
        self._resolve_path = resolve_path
        self._contexts: dict = {}  # cache slot -> Llama (the weights are memory-mapped once, shared)
        self._formatters: dict = {}  # id(Llama) -> its chat template, or None when it has none
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one computation at a time, requests and warm-ups alike
        self._closing = threading.Event()  # set by close(): a read in progress stops
        self.states = PrefixStates(state_dir) if state_dir else None
        self._identity: str | None = None
        self.load_seconds: float | None = None
        self.last_active = 0.0  # time.monotonic() when the last request ended
        self.read_rate: float | None = None  # prompt tokens read per second, measured
        self.write_rate: float | None = None  # tokens written per second, measured
        self.tokens_read = 0  # prompt tokens computed (not loaded from a saved state) since the model was made
        self._partials: dict[str, tuple[int, str]] = {}  # stage key -> (tokens of it saved, their state's key)
        self._stop = DecodeStop()  # stops a decode inside a batch (llama_cpp_stop.py)
        self._dropped_last = False  # the last batch a question read was dropped for a waiting request

    MAX_SLOTS = 2

    def _model(self, slot: str = "default"):
        loaded = self._contexts.get(slot)
        if loaded is not None and self.path.exists():
            return loaded  # without the lock: a question never waits while a warm-up loads another context
        with self._load_lock:
            if self._contexts and not self.path.exists():
                # The file was removed while serving: drop the model so the error is reported, not hidden.
                self._close_contexts()
            if slot not in self._contexts and len(self._contexts) >= self.MAX_SLOTS:
                slot = next(iter(self._contexts))  # share a context rather than grow without bound
            if slot not in self._contexts:
                path = self._resolve_path() if self._resolve_path else self.path
                self._contexts[slot], seconds = open_llama(
                    path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    n_batch=self.n_batch,
                    n_ubatch=self.n_ubatch,
                    use_extra_bufts=self.use_extra_bufts,
                )
                self._stop.install(self._contexts[slot])
                if self.load_seconds is None:
                    self.load_seconds = seconds
                if self.states is not None and self._identity is None:
                    self._identity = model_identity(Path(path), self.n_ctx, f"bufts={self.use_extra_bufts}")
                close_at_exit(self)
            return self._contexts[slot]

    def _close_contexts(self):
        for llama in self._contexts.values():
            llama.close()
        self._contexts.clear()
        self._formatters.clear()

    def close(self):
        """Free the contexts once no computation runs on them (a read in progress stops; a reply being written
        ends within CLOSE_WAIT_SECONDS or the contexts are left to the process's exit): freed under the start-up
        warm-up's read, a server stopped in its first seconds ended with a segmentation fault (CI, session 48)."""
        self._closing.set()
        if not self._run_lock.acquire(timeout=CLOSE_WAIT_SECONDS):
            return
        try:
            with self._load_lock:
                self._close_contexts()
            self._closing.clear()  # used again, the model loads afresh
        finally:
            self._run_lock.release()

    def context_window(self) -> int:
        return self.n_ctx

    def count_tokens(self, text: str) -> int:
        # Any loaded context will do; the first one is the one SQL prompts use.
        llama = next(iter(self._contexts.values()), None) or self._model("sql")
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def reading_speed(self) -> float | None:
        return self.read_rate

    def writing_speed(self) -> float | None:
        return self.write_rate

    # -- prompts ---------------------------------------------------------------------------------------
    def _formatter(self, llama):
        if id(llama) not in self._formatters:
            self._formatters[id(llama)] = chat_formatter(llama)
        return self._formatters[id(llama)]

    def _prompt(self, llama, messages, reply_prefix: str = ""):
        """See render_prompt(); None when the model has no chat template of its own."""
        formatter = self._formatter(llama)
        return None if formatter is None else render_prompt(llama, formatter, messages, reply_prefix)

    def _measured_read(self, tokens: int, seconds: float, least: int = 32):
        if tokens >= least and seconds > 0:
            rate = tokens / seconds
            self.read_rate = rate if self.read_rate is None else 0.5 * self.read_rate + 0.5 * rate

    def _measured_write(self, tokens: int, first: float):
        """Tokens written per second since the first one (at perf_counter() `first`), averaged over requests."""
        if tokens > 8:
            rate = (tokens - 1) / max(1e-6, time.perf_counter() - first)
            self.write_rate = rate if self.write_rate is None else 0.5 * self.write_rate + 0.5 * rate

    # -- requests --------------------------------------------------------------------------------------
    def _kwargs(self, options: ChatOptions) -> dict:
        return dict(
            max_tokens=options.max_tokens,
            temperature=options.temperature,
            top_p=options.top_p,
            stop=list(options.stop) or None,
            seed=options.seed,
        )

    def _complete(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> ChatResult:
        started = time.perf_counter()
        pieces = []
        usage = {}
        for piece, latest in self._generate(messages, options, cancel):
            pieces.append(piece)
            usage = latest
        return ChatResult(
            text="".join(pieces),
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            seconds=time.perf_counter() - started,
            model=self.name,
        )

    def _stream(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> Iterator[str]:
        for piece, _ in self._generate(messages, options, cancel):
            yield piece

    def _overflow(self, prompt_tokens: int, options: ChatOptions) -> ContextOverflow:
        return ContextOverflow(
            f"The prompt is about {prompt_tokens} tokens; with {options.max_tokens} for the reply it "
            f"exceeds the {self.n_ctx}-token context window of {self.name}."
        )

    def _use_free_cores(self, llama):
        threads = threads_for(self.n_threads, self._load.others_busy()) if self._adaptive else self.n_threads
        if threads != self._threads_in_use.get(id(llama), self.n_threads):
            llama._ctx.set_n_threads(threads, threads)
        self._threads_in_use[id(llama)] = threads

    def _generate(self, messages, options, cancel):
        llama = self._model(options.cache_slot)
        with self._run_lock:
            self._use_free_cores(llama)
            try:
                yield from self._generate_locked(llama, messages, options, cancel)
            finally:
                self.last_active = time.monotonic()

    def _generate_locked(self, llama, messages, options, cancel):
        if cancel.is_set():  # given up while it waited for the model: read nothing
            return
        prompt = self._prompt(llama, messages, options.reply_prefix)
        if prompt is None:  # a chat format other than the model's own template: no prefix states
            yield from self._generate_chat(llama, messages, options, cancel)
            return
        text, tokens, stop, criteria = prompt
        if len(tokens) + options.max_tokens > self.n_ctx:
            raise self._overflow(len(tokens), options)
        if options.reply_prefix:  # read with the prompt, not written: part of the reply all the same
            yield options.reply_prefix, {"prompt_tokens": len(tokens), "completion_tokens": 0}
        if not self._restore_prefix(llama, self._prefix_tokens(llama, messages, text, tokens, options), cancel=cancel):
            return  # given up while its prefix was read: what was read is kept for the next request
        if self.draft_tokens and options.temperature == 0 and not options.stop:
            yield from self._generate_greedy(llama, tokens, options, cancel)
            return
        # Sampled replies (candidates) read the rest of their prompt in create_completion, as before session 43: read
        # through _read first, a candidate's text changed for the same seed, and read whole, the reply started from
        # logits the read had not made (the test command; left as it was).
        new_tokens = len(tokens) - self._held(llama, tokens)
        self.tokens_read += max(1, new_tokens)  # a fully cached prompt still decodes its last token again
        completion_tokens = 0
        complete = reply_check(options.complete_when)
        started = first = time.perf_counter()
        try:
            for chunk in llama.create_completion(
                prompt=tokens,
                stream=True,
                stop=list(options.stop) + stop,
                stopping_criteria=criteria,
                max_tokens=options.max_tokens,
                temperature=options.temperature,
                top_p=options.top_p,
                seed=options.seed,
                **CHAT_SAMPLING,
            ):
                if cancel.is_set():
                    break  # closing the generator stops llama.cpp from decoding further tokens
                if completion_tokens == 0:
                    first = time.perf_counter()
                    self._measured_read(new_tokens, first - started)
                text_piece = chunk["choices"][0].get("text")
                if text_piece:
                    completion_tokens += 1
                    yield text_piece, {"prompt_tokens": len(tokens), "completion_tokens": completion_tokens}
                    if complete(text_piece):
                        break
        except ValueError as error:
            if "context window" in str(error) or "exceed" in str(error):
                raise ContextOverflow(f"{self.name}: {error}") from None
            raise ModelError(f"llama.cpp failed: {error}") from None
        self._measured_write(completion_tokens, first)
        yield "", {"prompt_tokens": len(tokens), "completion_tokens": completion_tokens}

    def _generate_greedy(self, llama, tokens, options, cancel):
        """Greedy decoding that checks tokens guessed from the prompt in the same pass (lookup_decoding.py):
        what create_completion writes at temperature 0, in fewer passes."""
        try:
            if not self._read(llama, tokens[:-1], cancel=cancel):  # the last token is decoded with the first guess
                return  # given up meanwhile
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"llama.cpp failed: {error}") from None
        self.tokens_read += 1
        drafter = Drafter(tokens, self.draft_tokens)
        try:
            usage, first, tail = yield from greedy_pieces(
                llama,
                tokens,
                drafter,
                max_tokens=options.max_tokens,
                n_ctx=self.n_ctx,
                n_batch=self.n_batch,
                cancel=cancel,
                between_passes=self._thread_rechecks(llama),
                complete_when=options.complete_when,
            )
        finally:
            self.last_drafts = drafter.stats()
        if first is not None:
            self._measured_write(usage["completion_tokens"], first)
        yield tail, usage

    def _thread_rechecks(self, llama) -> Callable[[], None]:
        """Called before each pass: every THREAD_CHECK_SECONDS the thread count is chosen again (when adaptive)."""
        checked = time.perf_counter()

        def recheck():
            nonlocal checked
            if self._adaptive and time.perf_counter() - checked >= THREAD_CHECK_SECONDS:
                self._use_free_cores(llama)
                checked = time.perf_counter()

        return recheck

    def _generate_chat(self, llama, messages, options, cancel):
        prompt_tokens = self.count_message_tokens(messages)
        if prompt_tokens + options.max_tokens > self.n_ctx:
            raise self._overflow(prompt_tokens, options)
        completion_tokens = 0
        try:
            for chunk in llama.create_chat_completion(messages=messages, stream=True, **self._kwargs(options)):
                if cancel.is_set():
                    break
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    completion_tokens += 1
                    yield delta, {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
        except ValueError as error:
            if "context window" in str(error) or "exceed" in str(error):
                raise ContextOverflow(f"{self.name}: {error}") from None
            raise ModelError(f"llama.cpp failed: {error}") from None
        yield "", {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}

    # -- warm-ups --------------------------------------------------------------------------------------
    def open_slots(self, slots: Sequence[str]) -> None:
        for slot in slots:
            self._model(slot)

    def prepare_prefix(
        self, messages: list[Message], options: ChatOptions, should_stop: Callable[[], bool] = lambda: False
    ) -> bool:
        """Make sure the state after `options.prefix` of `messages` is saved (blocking). A warm-up: it stops,
        returning False, as soon as `should_stop()` says real work is waiting."""
        if self.states is None or not (options.prefix or options.prefix_messages):
            return False
        llama = self._model(options.cache_slot)
        formatter = self._formatter(llama)
        if formatter is None:
            return False
        text, tokens, _, _ = self._prompt(llama, messages)
        stages = self._prefix_tokens(llama, messages, text, tokens, options)
        if not stages:
            return False
        if self.states.has(self.states.key(self._identity, stages[-1])):
            return True  # nothing to compute; the context is left as it is for the next question
        if should_stop():
            return False
        with self._run_lock:
            if should_stop():
                return False
            self._use_free_cores(llama)
            return self._restore_prefix(llama, stages, should_stop)

    async def _warm(self, messages: list[Message], options: ChatOptions) -> bool:
        import asyncio

        if self.states is None or not (options.prefix or options.prefix_messages):
            return await super()._warm(messages, options)
        return await asyncio.to_thread(self.prepare_prefix, messages, options, self.busy)

    def status(self) -> ModelStatus:
        try:
            path = self._resolve_path() if self._resolve_path else self.path
            ready = Path(path).is_file()
            detail = f"{path}" if ready else f"missing: {path}"
        except ModelNotReady as error:
            ready, detail = False, error.message
        return ModelStatus(self.name, self.backend, "chat", ready, detail, self.n_ctx)
