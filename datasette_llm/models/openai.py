"""OpenAI, or any OpenAI-compatible server (Ollama, llama.cpp server, vLLM), for chat and embeddings."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import ConfigError, ContextOverflow, ModelError, ModelTimeout, ModelUnavailable
from .base import ChatModel, ChatOptions, ChatResult, EmbeddingModel, Message, ModelStatus

# Context windows of well-known hosted models; anything else uses `context_window` from the settings.
KNOWN_CONTEXT = {
    "gpt-4o": 128000,
    "gpt-4o-mini": 128000,
    "gpt-4.1": 1047576,
    "gpt-4.1-mini": 1047576,
    "gpt-3.5-turbo": 16385,
}
KNOWN_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def make_client(base_url: str | None, api_key: str | None, timeout: float, max_retries: int = 2):
    import openai

    if not api_key and not base_url:
        raise ConfigError(
            "The OpenAI backend needs an API key: set OPENAI_API_KEY or the openai_api_key setting "
            '(e.g. openai_api_key: {"$env": "OPENAI_API_KEY"}), or an openai_base_url for a local server.'
        )
    # The client retries 429 and 5xx with exponential backoff; local servers accept any key.
    return openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=max_retries)


def translate_error(error: Exception, name: str, base_url: str | None) -> Exception:
    import openai

    where = base_url or "api.openai.com"
    if isinstance(error, openai.APITimeoutError):
        return ModelTimeout(f"The model server at {where} did not answer in time ({name}).")
    if isinstance(error, openai.APIConnectionError):
        return ModelUnavailable(f"Could not reach the model server at {where}: {error.__cause__ or error}")
    if isinstance(error, openai.AuthenticationError):
        return ModelError(f"The model server at {where} rejected the API key (401). Check openai_api_key.")
    if isinstance(error, openai.RateLimitError):
        return ModelError(f"The model server at {where} is rate limiting requests (429); try again later.", status=503)
    if isinstance(error, openai.NotFoundError):
        return ModelError(f"The model server at {where} does not know the model {name!r} (404).")
    if isinstance(error, openai.BadRequestError) and "context" in str(error).lower():
        return ContextOverflow(f"{name}: the prompt is longer than the model's context window ({error}).")
    if isinstance(error, openai.APIStatusError):
        return ModelError(f"The model server at {where} failed with HTTP {error.status_code}: {error.message}")
    return ModelError(f"The model server at {where} returned an unusable response: {error}")


CHAT_RETRIES = 2  # 429, 5xx and lost connections are sent again, with backoff, while time and a client remain


def retry_wait(error: Exception, attempt: int) -> float | None:
    """Seconds to wait before sending a chat request again after `error`, or None: not again. A timeout is never
    retried (the OpenAI client's own retries sent a request twice more after the user had been told it timed
    out: an outside attacker saw 3 requests at the server for one 504, and twice `queue_limit` running there)."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        return None
    status = getattr(error, "status_code", None)
    if not (isinstance(error, openai.APIConnectionError) or status in (408, 409, 429) or (status or 0) >= 500):
        return None
    wait = min(8.0, 0.5 * 2**attempt)
    try:
        wait = max(wait, min(60.0, float(error.response.headers.get("retry-after"))))
    except (AttributeError, TypeError, ValueError):
        pass
    return wait


class OpenAIChatModel(ChatModel):
    backend = "openai"
    workers = 4

    def __init__(
        self,
        name: str,
        model_id: str,
        *,
        base_url: str | None,
        api_key: str | None,
        context_window: int | None = None,
        **kwargs,
    ):
        super().__init__(name, **kwargs)
        self.model_id = model_id
        self.base_url = base_url
        self.api_key = api_key
        self._context = context_window or KNOWN_CONTEXT.get(model_id, 8192)
        self._client = None

    def client(self):
        if self._client is None:  # retries are _create's: only while the request has time and a client
            self._client = make_client(self.base_url, self.api_key, self.timeout, max_retries=0)
        return self._client

    def context_window(self) -> int:
        return self._context

    def count_tokens(self, text: str) -> int:
        # No tokenizer for remote models: a conservative estimate (about 3 characters per token).
        return len(text) // 3 + 1

    def _create(self, messages, options, stream: bool, cancel: threading.Event):
        """One chat request, sent again (CHAT_RETRIES times at most) after errors worth retrying, only while the
        model's timeout has time left and nobody gave the request up (`cancel`)."""
        import openai

        deadline = time.monotonic() + self.timeout
        for attempt in range(CHAT_RETRIES + 1):
            try:
                return self.client().chat.completions.create(
                    model=self.model_id,
                    messages=messages,
                    max_tokens=options.max_tokens,
                    temperature=options.temperature,
                    top_p=options.top_p,
                    stop=list(options.stop) or None,
                    seed=options.seed,
                    stream=stream,
                    timeout=max(0.5, deadline - time.monotonic()),
                )
            except (openai.OpenAIError, ValueError) as error:  # ValueError: a body that is not JSON
                wait = retry_wait(error, attempt) if attempt < CHAT_RETRIES else None
                if wait is None or time.monotonic() + wait >= deadline or cancel.wait(wait):
                    raise translate_error(error, self.model_id, self.base_url) from None
        raise AssertionError("unreachable")

    def _complete(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> ChatResult:
        started = time.perf_counter()
        response = self._create(messages, options, stream=False, cancel=cancel)
        try:
            text = response.choices[0].message.content or ""
            usage = response.usage
        except (AttributeError, IndexError, TypeError) as error:
            raise ModelError(f"The model server returned an unexpected response: {error}") from None
        return ChatResult(
            text=text,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            seconds=time.perf_counter() - started,
            model=self.name,
        )

    def _stream(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> Iterator[str]:
        import openai

        stream = self._create(messages, options, stream=True, cancel=cancel)
        try:
            for chunk in stream:
                if cancel.is_set():
                    stream.close()
                    return
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except (openai.OpenAIError, ValueError) as error:
            raise translate_error(error, self.model_id, self.base_url) from None

    def status(self) -> ModelStatus:
        try:
            self.client().with_options(timeout=5, max_retries=0).models.list()
            return ModelStatus(
                self.name, self.backend, "chat", True, f"reachable: {self.base_url or 'OpenAI'}", self._context
            )
        except Exception as error:  # any failure is "not ready", with its reason
            detail = getattr(translate_error(error, self.model_id, self.base_url), "message", str(error))
            return ModelStatus(self.name, self.backend, "chat", False, detail, self._context)


class OpenAIEmbeddingModel(EmbeddingModel):
    backend = "openai"

    def __init__(
        self,
        name: str,
        model_id: str,
        *,
        base_url: str | None,
        api_key: str | None,
        dimensions: int | None = None,
        **kwargs,
    ):
        super().__init__(name, **kwargs)
        self.model_id = model_id
        self.base_url = base_url
        self.api_key = api_key
        self._dimensions = dimensions or KNOWN_DIMENSIONS.get(model_id)
        self._client = None

    @property
    def dimensions(self) -> int:
        if self._dimensions is None:
            self._dimensions = int(self._embed(["dimension probe"]).shape[1])
        return self._dimensions

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        if self._client is None:
            self._client = make_client(self.base_url, self.api_key, self.timeout)
        try:
            response = self._client.embeddings.create(model=self.model_id, input=list(texts))
            return np.array([item.embedding for item in response.data], dtype=np.float32)
        except openai.OpenAIError as error:
            raise translate_error(error, self.model_id, self.base_url) from None
        except (AttributeError, TypeError, ValueError) as error:  # includes a body that is not JSON
            raise ModelError(f"The embedding server returned an unexpected response: {error}") from None

    def status(self) -> ModelStatus:
        try:
            self._embed(["ping"])
            return ModelStatus(self.name, self.backend, "embedding", True, "reachable", None)
        except Exception as error:
            return ModelStatus(self.name, self.backend, "embedding", False, getattr(error, "message", str(error)))
