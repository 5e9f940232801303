"""Local GGUF chat models through llama-cpp-python: loaded once, reused, one request at a time."""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

from ..errors import ContextOverflow, ModelError, ModelNotReady
from .base import ChatModel, ChatOptions, ChatResult, Message, ModelStatus

_LOADED: weakref.WeakSet[LlamaCppChatModel] = weakref.WeakSet()


@atexit.register
def _close_all():
    # Free llama.cpp contexts while the interpreter is intact (its finaliser fails at shutdown otherwise).
    for model in list(_LOADED):
        model.close()


class LlamaCppChatModel(ChatModel):
    backend = "llama_cpp"
    workers = 1  # a llama.cpp context is not thread-safe
    prompt_cache = True  # llama-cpp-python reuses the longest common token prefix of the previous prompt

    def __init__(self, name: str, path: Path, *, n_ctx: int = 8192, n_threads: int | None = None,
                 resolve_path=None, **kwargs):
        super().__init__(name, **kwargs)
        self.path = Path(path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        # `resolve_path` verifies the default model (hash) before loading; custom GGUF files are used as is.
        self._resolve_path = resolve_path
        self._contexts: dict = {}  # cache slot -> Llama (the weights are memory-mapped once, shared)
        self._load_lock = threading.Lock()
        self.load_seconds: float | None = None

    MAX_SLOTS = 2

    def _model(self, slot: str = "default"):
        with self._load_lock:
            if self._contexts and not self.path.exists():
                # The file was removed while serving: drop the model so the error is reported, not hidden.
                self._close_contexts()
            if slot not in self._contexts and len(self._contexts) >= self.MAX_SLOTS:
                slot = next(iter(self._contexts))  # share a context rather than grow without bound
            if slot not in self._contexts:
                path = self._resolve_path() if self._resolve_path else self.path
                if not Path(path).is_file():
                    raise ModelNotReady(
                        f"The model file {path} does not exist. Check the chat_model setting, or run "
                        "`bash setup-scripts/models.sh` for the default model."
                    )
                try:
                    from llama_cpp import Llama
                except ImportError as error:  # pragma: no cover - install problem
                    raise ModelNotReady(
                        f"llama-cpp-python is not installed ({error}); run `bash setup-scripts/install.sh`."
                    ) from None
                started = time.perf_counter()
                try:
                    self._contexts[slot] = Llama(
                        model_path=str(path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                        n_threads_batch=self.n_threads, n_batch=512, seed=0, verbose=False,
                    )
                except (ValueError, RuntimeError, OSError) as error:
                    raise ModelNotReady(f"llama.cpp could not load {path}: {error}") from None
                if self.load_seconds is None:
                    self.load_seconds = time.perf_counter() - started
                _LOADED.add(self)
            return self._contexts[slot]

    def _close_contexts(self):
        for llama in self._contexts.values():
            llama.close()
        self._contexts.clear()

    def close(self):
        with self._load_lock:
            self._close_contexts()

    def context_window(self) -> int:
        return self.n_ctx

    def count_tokens(self, text: str) -> int:
        # Any loaded context will do; the first one is the one SQL prompts use.
        llama = next(iter(self._contexts.values()), None) or self._model("sql")
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _kwargs(self, options: ChatOptions) -> dict:
        return dict(
            max_tokens=options.max_tokens, temperature=options.temperature, top_p=options.top_p,
            stop=list(options.stop) or None, seed=options.seed,
        )

    def _complete(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> ChatResult:
        started = time.perf_counter()
        pieces = []
        usage = {}
        for piece, latest in self._generate(messages, options, cancel):
            pieces.append(piece)
            usage = latest
        return ChatResult(
            text="".join(pieces), prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            seconds=time.perf_counter() - started, model=self.name,
        )

    def _stream(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> Iterator[str]:
        for piece, _ in self._generate(messages, options, cancel):
            yield piece

    def _generate(self, messages, options, cancel):
        llama = self._model(options.cache_slot)
        prompt_tokens = self.count_message_tokens(messages)
        if prompt_tokens + options.max_tokens > self.n_ctx:
            raise ContextOverflow(
                f"The prompt is about {prompt_tokens} tokens; with {options.max_tokens} for the reply it "
                f"exceeds the {self.n_ctx}-token context window of {self.name}."
            )
        completion_tokens = 0
        try:
            for chunk in llama.create_chat_completion(messages=messages, stream=True, **self._kwargs(options)):
                if cancel.is_set():
                    break  # closing the generator stops llama.cpp from decoding further tokens
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    completion_tokens += 1
                    yield delta, {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
        except ValueError as error:
            if "context window" in str(error) or "exceed" in str(error):
                raise ContextOverflow(f"{self.name}: {error}") from None
            raise ModelError(f"llama.cpp failed: {error}") from None
        yield "", {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}

    def status(self) -> ModelStatus:
        try:
            path = self._resolve_path() if self._resolve_path else self.path
            ready = Path(path).is_file()
            detail = f"{path}" if ready else f"missing: {path}"
        except ModelNotReady as error:
            ready, detail = False, error.message
        return ModelStatus(self.name, self.backend, "chat", ready, detail, self.n_ctx)
