"""OpenAI, or any OpenAI-compatible server (Ollama, llama.cpp server, vLLM), for chat; the server's addresses and
errors as every model of this backend reports them (openai_embeddings.py for embeddings)."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from urllib.parse import urlsplit

from ..config import MIN_CONTEXT_WINDOW
from ..errors import ConfigError, ContextOverflow, ModelError, ModelNotReady, ModelTimeout, ModelUnavailable
from ..terminal import shown
from .base import ChatModel, ChatOptions, ChatResult, Message, ModelStatus, message_tokens
from .http_client import HttpFailure, ModelHttp, UnsupportedHttpx
from .reply_cache import cache_owner
from .token_estimate import estimated_tokens

logger = logging.getLogger("datasette_llm")

# Context windows of well-known hosted models; anything else uses `context_window` from the settings.
KNOWN_CONTEXT = {
    "gpt-4o": 128000,
    "gpt-4o-mini": 128000,
    "gpt-4.1": 1047576,
    "gpt-4.1-mini": 1047576,
    "gpt-3.5-turbo": 16385,
}


OPENAI_URL = "https://api.openai.com/v1"
# A reply of max_tokens tokens has at most this many characters a token (a token is a few bytes of text): more is
# not a reply to this request.
MAX_CHARS_PER_TOKEN = 32


def make_http(base_url: str | None, api_key: str | None) -> ModelHttp:
    if not api_key and not base_url:
        raise ConfigError(
            "The OpenAI backend needs an API key: set OPENAI_API_KEY or the openai_api_key setting "
            '(e.g. openai_api_key: {"$env": "OPENAI_API_KEY"}), or an openai_base_url for a local server.'
        )
    try:
        return ModelHttp(base_url or OPENAI_URL, api_key or "not-needed")  # local servers accept any key
    except UnsupportedHttpx as error:
        raise ModelNotReady(f"The OpenAI backend cannot bound its requests: {error}.") from None


def server_address(base_url: str | None) -> str:
    """The model server's address for the operator: scheme, host and path, never credentials in the URL."""
    if not base_url:
        return "api.openai.com"
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def without_password(text: str, base_url: str | None) -> str:
    """`text` with the password of the model server's URL, if it has one, as `***`."""
    password = urlsplit(base_url).password if base_url else None
    return text.replace(password, "***") if password else text


def translate_error(failure: HttpFailure, name: str, base_url: str | None) -> Exception:
    """The error an asker is shown: what went wrong with the model server, never its address nor the text it sent
    back (an outside tester, session 34: any asker was told the URL, its password and the server's error body when
    the model failed). The log has both."""
    logger.warning(
        "datasette-llm: the model server at %s failed (%s, HTTP %s): %s",
        server_address(base_url),
        failure.kind,
        failure.status,
        shown(without_password(failure.detail, base_url)),  # the server's own text: no terminal codes of its own
    )
    status = failure.status
    if failure.kind == "timeout":
        return ModelTimeout(f"The model server did not answer within the time limit ({name}).")
    if failure.kind == "connection":
        return ModelUnavailable("Could not reach the model server (the server's log says why).")
    if status == 401:
        return ModelError("The model server rejected the API key (401). Check openai_api_key.")
    if status == 429:
        return ModelError("The model server is rate limiting requests (429); try again later.", status=503)
    if status == 404:
        return ModelError(f"The model server does not know the model {name!r} (404).")
    if is_overflow(failure):
        return ContextOverflow(f"{name}: the prompt is longer than the model's context window.")
    if failure.kind == "status":
        return ModelError(f"The model server failed with HTTP {status} (the server's log has its reply).")
    if failure.kind == "redirect":  # where to is the server's text: it once named a host, a password and a token
        return ModelError(
            f"The model server answered with a redirect (HTTP {status}), which is not followed: set openai_base_url "
            "to the address that answers (the server's log says where it pointed)."
        )
    if failure.kind == "compressed":
        return ModelError("The model server sent a compressed body, which was not asked for.")
    # The kinds left carry the plugin's own description of the reply ("its reply is longer than ..."), never the
    # server's text: that comes only with "status", "connection", "redirect" and "compressed", answered above.
    return ModelError(f"The model server returned an unusable response: {failure.detail}")


def is_overflow(failure: HttpFailure) -> bool:
    return failure.status == 400 and "context" in failure.detail.lower()


# What servers say when a prompt is too long: OpenAI and vLLM ("This model's maximum context length is 2048 tokens.
# However, you requested 16539 tokens (16529 in the messages, 10 in the completion)", as llama_cpp.server too),
# llama.cpp's server ("request (4476 tokens) exceeds the available context size (4096 tokens)", and its fields
# "n_prompt_tokens" and "n_ctx", which http_client.error_message adds to the message).
_WINDOW_SAID = re.compile(
    r"maximum context length is (\d+)|\"?n_ctx\"?:\s*(\d+)|context window of (\d+)"
    r"|available context size \((\d+) tokens"
)
_PROMPT_SAID = re.compile(
    r"\((\d+) in the messages|resulted in (\d+) tokens|\"?n_prompt_tokens\"?:\s*(\d+)|request \((\d+) tokens\)"
)
MIN_WINDOW = MIN_CONTEXT_WINDOW  # a server's word is believed down to this (a window smaller is no use to Ask)
# Nor a count more than this many times the estimate: the estimate is above Qwen's own count on every generated
# answer prompt (benchmarks/token_estimate.py), so a server counting 3 times it is saying something else.
MAX_SCALE = 3.0
# What a server taught is forgotten after this long: a server's one lying or mistaken reply made every later
# answer the bare table, or every question a 400, until a restart (a second outside tester, session 37); a
# server whose window is really smaller teaches it again with its next refusal.
LEARNED_SECONDS = 600.0
KEPT_SCALES = 256  # askers whose learned scale is kept, the least recently taught dropped first
SMALLEST_PROMPT = 700  # tokens, as estimated: one small table's SQL prompt and its reply of 384 tokens


def said(pattern: re.Pattern, text: str) -> int | None:
    match = pattern.search(text)
    return int(next(group for group in match.groups() if group)) if match else None


CHAT_RETRIES = 2  # 429, 5xx and lost connections are sent again, with backoff, while time and a client remain


def retry_wait(failure: HttpFailure, attempt: int) -> float | None:
    """Seconds to wait before sending a chat request again after `failure`, or None: not again. A timeout is never
    retried (the OpenAI client's own retries sent a request twice more after the user had been told it timed
    out: an outside attacker saw 3 requests at the server for one 504, and twice `queue_limit` running there)."""
    status = failure.status or 0
    if not (failure.kind == "connection" or status in (408, 409, 429) or status >= 500):
        return None
    wait = min(8.0, 0.5 * 2**attempt)
    if failure.retry_after is not None:
        wait = max(wait, min(60.0, failure.retry_after))
    return wait


def reply_text(value, limit: int) -> str:
    """A reply's text as the server sent it, checked: text (not a number or a list), at most `limit` characters,
    and with lone surrogates (JSON can carry "\\ud800") replaced, since they cannot be encoded."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HttpFailure("not_json", f"its reply text is a {type(value).__name__}, not text")
    if len(value) > limit:
        raise HttpFailure("too_large", f"its reply is longer than {limit:,} characters, more than max_tokens allow")
    return value.encode("utf-8", "replace").decode("utf-8")


def token_count(usage, key: str) -> int:
    value = usage.get(key) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


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
        self._learning = threading.Lock()
        self._context = self._configured_context = context_window or KNOWN_CONTEXT.get(model_id, 8192)
        # How many times the estimate the server counted, when it said a prompt was too long (learn_overflow), per
        # asker (reply_cache.cache_owner) with when it was taught: a scale learned from one asker's prompt is a
        # measure of what that prompt held, and an asker who may see less read it back in how many rows their
        # prompts held (an outside tester's order oracle, session 38). The window is the server's own: shared.
        self._scales: OrderedDict[object, tuple[float, float]] = OrderedDict()
        self._learned_at: float | None = None  # when the server last taught the window
        self._http: ModelHttp | None = None

    def http(self) -> ModelHttp:
        if self._http is None:
            self._http = make_http(self.base_url, self.api_key)
        return self._http

    def context_window(self) -> int:
        self._forget_if_old()
        return self._context

    def count_tokens(self, text: str) -> int:
        # No tokenizer for remote models: an estimate that errs on the high side (token_estimate.py), times what
        # the server taught when it counted more.
        estimate = estimated_tokens(text)
        scale = self._scale()
        return estimate if scale == 1.0 else int(estimate * scale) + 1

    def _forget_if_old(self) -> None:
        if self._learned_at is not None and time.monotonic() - self._learned_at > LEARNED_SECONDS:
            with self._learning:
                self._context, self._learned_at = self._configured_context, None

    def _scale(self) -> float:
        """The scale the server taught for this asker's prompts, 1.0 when none or when it is older than
        LEARNED_SECONDS."""
        if not self._scales:
            return 1.0
        owner = cache_owner()
        with self._learning:
            kept = self._scales.get(owner)
            if kept is None:
                return 1.0
            if time.monotonic() - kept[1] > LEARNED_SECONDS:
                del self._scales[owner]
                return 1.0
            return kept[0]

    def learn_overflow(self, failure: HttpFailure, messages: Sequence[Message]) -> bool:
        """Take in what a server says when a prompt was too long: its context window (a server configured with
        less than the plugin assumed) and how many tokens it counted (more than estimated). True when the model
        counts otherwise now, so the same prompt, built again, fits; False when the server said nothing new.
        The numbers come from an untrusted server: a window of at least MIN_WINDOW, a scale of at most MAX_SCALE."""
        learned = False
        self._forget_if_old()
        known = self._scale()
        owner = cache_owner()
        with self._learning:
            window = said(_WINDOW_SAID, failure.detail)
            if window is not None and MIN_WINDOW <= window < self._context:
                self._context, learned = window, True
                self._learned_at = time.monotonic()
            counted = said(_PROMPT_SAID, failure.detail)
            if counted is not None:
                estimate = message_tokens(messages, estimated_tokens)
                # Never so much that the window holds less than a small SQL prompt and its reply as counted: one
                # refusal of a window of 1,024 and 3 times the count refused every question for 10 minutes
                # without asking the server (a third outside tester, session 37).
                scale = min(MAX_SCALE, self._context / SMALLEST_PROMPT, counted / estimate * 1.1)
                if scale > known:
                    known, learned = scale, True
                    self._scales[owner] = (scale, time.monotonic())
                    self._scales.move_to_end(owner)
                    while len(self._scales) > KEPT_SCALES:
                        self._scales.popitem(last=False)
        if learned:
            logger.warning(
                "datasette-llm: the model server at %s counts a context window of %s tokens and %.2f times the "
                "plugin's estimate of a prompt; set context_window to say so from the start",
                server_address(self.base_url),
                self._context,
                known,
            )
        return learned

    def _payload(self, messages, options: ChatOptions, stream: bool) -> dict:
        payload = {
            "model": self.model_id,
            "messages": messages,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "stream": stream,
        }
        if options.stop:
            payload["stop"] = list(options.stop)
        if options.seed is not None:
            payload["seed"] = options.seed
        return payload

    def _open(self, payload: dict, deadline: float, cancel: threading.Event) -> tuple[ExitStack, object]:
        """(a stack to close, the response) of one chat request whose status says success, sent again
        (CHAT_RETRIES times at most) after failures worth retrying, only while the deadline has time left and
        nobody gave the request up (`cancel`). The deadline also bounds reading the body (http_client.py)."""
        for attempt in range(CHAT_RETRIES + 1):
            stack = ExitStack()
            try:
                return stack, stack.enter_context(
                    self.http().open("POST", "/chat/completions", payload, deadline, cancel)
                )
            except HttpFailure as failure:
                wait = retry_wait(failure, attempt) if attempt < CHAT_RETRIES else None
                if wait is None or time.monotonic() + wait >= deadline or cancel.wait(wait):
                    raise
        raise AssertionError("unreachable")

    def _complete(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> ChatResult:
        started = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        limit = options.max_tokens * MAX_CHARS_PER_TOKEN
        try:
            stack, response = self._open(self._payload(messages, options, False), deadline, cancel)
            with stack:  # JSON escapes ("\\u1234") make a text up to 6 times longer
                body = self.http().body(response, deadline, 64 * 1024 + 6 * limit, cancel)
            try:
                text = reply_text(body["choices"][0]["message"].get("content"), limit)
            except (KeyError, IndexError, TypeError, AttributeError):
                raise HttpFailure("not_json", "its reply has no choices[0].message") from None
        except HttpFailure as failure:
            if failure.kind == "cancelled":  # given up by its client: nobody reads the result
                return ChatResult("", 0, 0, time.perf_counter() - started, self.name)
            raise self._error(failure, messages) from None
        usage = body.get("usage") if isinstance(body, dict) else None
        return ChatResult(
            text=text,
            prompt_tokens=token_count(usage, "prompt_tokens"),
            completion_tokens=token_count(usage, "completion_tokens"),
            seconds=time.perf_counter() - started,
            model=self.name,
        )

    def _stream(self, messages: list[Message], options: ChatOptions, cancel: threading.Event) -> Iterator[str]:
        deadline = time.monotonic() + self.timeout
        limit, written = options.max_tokens * MAX_CHARS_PER_TOKEN, 0
        try:
            stack, response = self._open(self._payload(messages, options, True), deadline, cancel)
            finished = False  # a chunk said why the reply ended (finish_reason)
            with stack:
                for line in self.http().lines(response, deadline, cancel):
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        choice = json.loads(data)["choices"][0]
                        delta = choice["delta"]
                        piece = reply_text(delta.get("content"), limit) if delta else ""
                        finished = finished or bool(choice.get("finish_reason"))
                    except (ValueError, RecursionError, KeyError, IndexError, TypeError, AttributeError):
                        raise HttpFailure("not_json", "one of its streamed events is not a chat chunk") from None
                    written += len(piece)
                    if written > limit:
                        raise HttpFailure("too_large", f"its reply is longer than {limit:,} characters")
                    if piece:
                        yield piece
            # The body ended without [DONE] and with no finish_reason: a reply cut short (a server or proxy that
            # closed the connection) was taken as whole, shown without a note and kept for the next asker (an
            # outside tester, session 32).
            if not finished and not cancel.is_set():
                raise HttpFailure("cut", "its streamed reply ended before the server said it was complete")
        except HttpFailure as failure:
            if failure.kind == "cancelled":
                return
            if failure.kind == "cut" and written == 0:
                # Ended before its first word: llama_cpp.server ends a stream so when the prompt is too long for
                # it, where a request that does not stream is told why (a 400 that says how long). Asked again
                # without streaming, once: the reply, or why there is none.
                yield self._complete(messages, options, cancel).text
                return
            raise self._error(failure, messages) from None

    def _error(self, failure: HttpFailure, messages: Sequence[Message]) -> Exception:
        error = translate_error(failure, self.model_id, self.base_url)
        if isinstance(error, ContextOverflow):
            error.learned = self.learn_overflow(failure, messages)
        return error

    def status(self) -> ModelStatus:
        try:
            self.http().get_json("/models", deadline=time.monotonic() + 5)
            return ModelStatus(
                self.name, self.backend, "chat", True, f"reachable: {server_address(self.base_url)}", self._context
            )
        except HttpFailure as failure:
            message = translate_error(failure, self.model_id, self.base_url).message
            detail = f"{message} ({server_address(self.base_url)}: {without_password(failure.detail, self.base_url)})"
            return ModelStatus(self.name, self.backend, "chat", False, detail, self._context)
        except Exception as error:  # any failure is "not ready", with its reason
            return ModelStatus(
                self.name, self.backend, "chat", False, getattr(error, "message", str(error)), self._context
            )
