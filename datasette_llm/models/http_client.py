"""HTTP to an OpenAI-compatible model server, bounded in time and in size: the server is untrusted input.

An outside attacker's server (session 14) showed what the OpenAI client let through: its timeout starts again
with every byte, so a server sending a byte a second held a request, and its place in the model queue, for
ever; it read bodies of any size (+3 GB of memory for a body that never ends, +2 GB for a gzip bomb), followed
redirects to any host with the prompt in the body, and put a 50 MB error body into the user's response.

Here one deadline covers the whole exchange (connecting, the headers, every byte of the body), the bytes read
are capped, redirects are errors, compression is neither asked for nor accepted, and an error keeps a short
excerpt of what the server said. Every failure is an `HttpFailure`, which openai.py turns into the plugin's
errors; nothing here knows about models.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx
import numpy as np

CONNECT_SECONDS = 10.0
CANCEL_CHECK_SECONDS = 0.25  # how long a read waits before it looks whether its request was given up
MAX_ERROR_BYTES = 64 * 1024  # of an error body, read to find its message
MAX_ERROR_CHARS = 300  # of that message, shown to the user
MAX_LINE_BYTES = 1024 * 1024  # one server-sent event


# JSON nested deeper than this is refused before it is parsed: json.loads of 40,000 levels raises RecursionError,
# after which CPython 3.11 can fail in unrelated code ("AST constructor recursion depth mismatch", seen in CI).
MAX_NESTING = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def nesting(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (strings do not count)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    steps = np.frombuffer(brackets, dtype=np.uint8)
    return int(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1).cumsum().max())


class HttpFailure(Exception):
    """What went wrong, by kind: timeout, connection, status, redirect, too_large, compressed, not_json, cancelled."""

    def __init__(self, kind: str, detail: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(detail)
        self.kind, self.detail, self.status, self.retry_after = kind, detail, status, retry_after


class UnsupportedHttpx(RuntimeError):
    """This httpx cannot be given the bounded connection pool."""


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"


def error_message(body: bytes) -> str:
    """The message of an error body: OpenAI's {"error": {"message"}} or the text itself, clipped."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        message = data.get("error", data) if isinstance(data, dict) else data
        sizes = ""
        if isinstance(message, dict):
            # llama.cpp's server says the sizes beside its message: {"n_prompt_tokens": 4476, "n_ctx": 4096}
            sizes = "".join(
                f" ({key}: {message[key]})"
                for key in ("n_prompt_tokens", "n_ctx")
                if isinstance(message.get(key), int) and not isinstance(message.get(key), bool)
            )
            message = message.get("message", message)
        # The sizes first: a long message is clipped below.
        text = sizes.lstrip() + " " + (message if isinstance(message, str) else json.dumps(message)[:MAX_ERROR_CHARS])
    except (ValueError, RecursionError):
        pass
    return clip(text)


def retry_after(headers) -> float | None:
    try:
        return float(headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


# -- one deadline for every socket operation of a request -------------------------------------------------
# httpx's timeouts bound each read, not the exchange: a server that sends its headers a line a second (a second
# outside attacker, after the body was bounded) held a request, and its place in the queue, for ever. Every read,
# write and connect of the thread's current request is given at most the time left before its deadline.
#
# A read also ends when its request is given up (the thread's `cancel`): a request that does not stream has no
# byte to look between until the whole reply is written, so a client that left while the SQL was written left
# its model request open, and its places in the queue held, until the server answered (an outside tester,
# session 54: the next question waited 19.6 s). Reads wait in slices of CANCEL_CHECK_SECONDS; a slice that ends
# with nothing read has consumed nothing, so the read goes on, or ends the request by closing its connection.

_current = threading.local()


def _bounded(timeout: float | None) -> float | None:
    deadline = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


def _given_up() -> bool:
    cancel = getattr(_current, "cancel", None)
    return cancel is not None and cancel.is_set()


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        allowed = _bounded(timeout)
        if getattr(_current, "cancel", None) is None:
            return self._stream.read(max_bytes, allowed)
        ends = None if allowed is None else time.monotonic() + allowed
        while True:
            if _given_up():
                # Not an httpcore error: httpcore closes the connection on any exception and passes it on.
                raise HttpFailure("cancelled", "the request was given up")
            left = None if ends is None else ends - time.monotonic()
            if left is not None and left <= 0:
                raise httpcore.ReadTimeout("the read's time has passed")
            try:
                return self._stream.read(
                    max_bytes, CANCEL_CHECK_SECONDS if left is None else min(left, CANCEL_CHECK_SECONDS)
                )
            except httpcore.ReadTimeout:
                if left is not None and left <= CANCEL_CHECK_SECONDS:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self):
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._backend.connect_tcp(host, port, _bounded(timeout), local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def environment_proxy(base_url: str) -> str | None:
    """The HTTP(S) proxy the environment sets for `base_url` (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), as httpx and
    the OpenAI client would use it: a transport of one's own makes httpx ignore them."""
    from urllib.parse import urlsplit
    from urllib.request import getproxies, proxy_bypass

    parts = urlsplit(base_url)
    proxy = getproxies().get(parts.scheme)
    if not proxy or not proxy.startswith(("http://", "https://")) or proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _transport(base_url: str) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    ssl_context, backend = httpx.create_ssl_context(), _DeadlineBackend()
    proxy = environment_proxy(base_url)
    if proxy:
        parsed = httpx.Proxy(proxy)
        url = httpcore.URL(
            scheme=parsed.url.raw_scheme, host=parsed.url.raw_host, port=parsed.url.port, target=parsed.url.raw_path
        )
        pool = httpcore.HTTPProxy(
            proxy_url=url,
            proxy_auth=parsed.raw_auth,
            proxy_headers=parsed.headers.raw,
            ssl_context=ssl_context,
            network_backend=backend,
        )
    else:
        pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend)
    # httpx has no argument for the network backend. Should a new httpx keep its pool elsewhere, fail here
    # rather than send requests without the deadline (pyproject.toml bounds the versions).
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise UnsupportedHttpx(f"httpx {httpx.__version__} keeps no httpcore pool in its transport: install httpx<0.29")
    transport._pool = pool
    return transport


class ModelHttp:
    """POSTs JSON to `base_url` + a path; GETs for status checks. Thread-safe (one httpx.Client)."""

    def __init__(self, base_url: str, api_key: str):
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(
            follow_redirects=False,
            headers={"authorization": f"Bearer {api_key}", "accept-encoding": "identity"},
            transport=_transport(self.base_url),
        )

    @contextmanager
    def open(self, method: str, path: str, payload: Any, deadline: float, cancel: threading.Event | None = None):
        """The response, once its status says success; its body is read with `body()` or `lines()`. Setting
        `cancel` ends the request (HttpFailure "cancelled") within CANCEL_CHECK_SECONDS, its connection closed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HttpFailure("timeout", "no time was left to send the request")
        timeout = httpx.Timeout(remaining, connect=min(remaining, CONNECT_SECONDS))
        _current.deadline, _current.cancel = deadline, cancel
        try:
            with self.client.stream(method, self.base_url + path, json=payload, timeout=timeout) as response:
                self._check(response, deadline)
                yield response
        except httpx.TimeoutException:
            raise HttpFailure("timeout", "the server did not answer in time") from None
        except httpx.HTTPError as error:  # refused, reset, not HTTP, a bad chunk: nothing usable came back
            raise HttpFailure("connection", clip(str(error) or type(error).__name__)) from None
        finally:
            _current.deadline = _current.cancel = None

    def _check(self, response: httpx.Response, deadline: float) -> None:
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if 300 <= response.status_code < 400:
            location = clip(response.headers.get("location", "?"), 200)
            raise HttpFailure(
                "redirect",
                f"it answered with a redirect (HTTP {response.status_code}) to {location}; redirects are not "
                "followed: set openai_base_url to the address that answers",
                response.status_code,
            )
        if response.status_code >= 400:
            body = (
                b"" if encoding not in ("", "identity") else self._read(response, deadline, MAX_ERROR_BYTES, None, True)
            )
            raise HttpFailure("status", error_message(body), response.status_code, retry_after(response.headers))
        if encoding not in ("", "identity"):
            raise HttpFailure("compressed", f"it sent a {clip(encoding, 40)}-compressed body, which was not asked for")

    def _read(self, response, deadline: float, max_bytes: int, cancel, partial: bool = False) -> bytes:
        """The body, up to max_bytes (more is an error, or with `partial` the first max_bytes)."""
        chunks, total = [], 0
        for chunk in self._chunks(response, deadline, cancel):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                if partial:
                    break
                raise HttpFailure("too_large", f"its response was larger than {max_bytes:,} bytes")
        return b"".join(chunks)[: max_bytes if partial else None]

    def _chunks(self, response, deadline: float, cancel: threading.Event | None) -> Iterator[bytes]:
        for chunk in response.iter_raw():
            if time.monotonic() > deadline:
                raise HttpFailure("timeout", "the server did not finish its response in time")
            if cancel is not None and cancel.is_set():
                raise HttpFailure("cancelled", "the request was given up")
            yield chunk

    def body(self, response, deadline: float, max_bytes: int, cancel=None) -> Any:
        """The response body as JSON (bounded)."""
        raw = self._read(response, deadline, max_bytes, cancel)
        if nesting(raw) > MAX_NESTING:
            raise HttpFailure("not_json", f"its response nests deeper than {MAX_NESTING} levels")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise HttpFailure("not_json", "its response is not JSON") from None

    def lines(self, response, deadline: float, cancel=None, max_line: int = MAX_LINE_BYTES) -> Iterator[str]:
        """The body's lines (server-sent events), each at most max_line bytes."""
        pending = b""
        for chunk in self._chunks(response, deadline, cancel):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line.rstrip(b"\r").decode("utf-8", "replace")
            if len(pending) > max_line:
                raise HttpFailure("too_large", f"it sent a line longer than {max_line:,} bytes")
        if pending:
            yield pending.decode("utf-8", "replace")

    def post_json(self, path: str, payload: Any, *, deadline: float, max_bytes: int, cancel=None) -> Any:
        with self.open("POST", path, payload, deadline, cancel) as response:
            return self.body(response, deadline, max_bytes, cancel)

    def get_json(self, path: str, *, deadline: float, max_bytes: int = 1024 * 1024) -> Any:
        with self.open("GET", path, None, deadline) as response:
            return self.body(response, deadline, max_bytes)

    def close(self) -> None:
        self.client.close()
