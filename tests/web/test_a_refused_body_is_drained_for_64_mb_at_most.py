"""What is read and dropped of a refused body is bounded by bytes as well as by time (SECURITY.md "Web": "the rest of
a refused body (up to 64 MB or 10 s) is read and dropped before the refusal"): a client that says, and sends, far
more than that at full speed gets its 413 once about 64 MB have gone, not after sending everything it announced.
A generated family: announced sizes of 160 to 400 MB on the capped routes, over a real socket (uvicorn); the client
counts what it managed to send before the answer came. Oracle: the documented 64 MB, with the socket buffers of
both ends as slack."""

from __future__ import annotations

import random
import select
import socket

import pytest
from route_helpers import items_datasette
from server_helpers import serve_in_thread

MB = 2**20
DRAIN_BYTES = 64 * MB  # as documented
SLACK = 24 * MB  # what the kernel's buffers on both ends hold beyond what the server read


@pytest.fixture
def port(tmp_path):
    ds = items_datasette(tmp_path)
    with serve_in_thread(ds.app()) as base:
        yield int(base.rsplit(":", 1)[1])


def sent_before_answer(port: int, path: str, announced: int) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {announced}\r\n\r\n".encode()
        )
        sock.setblocking(False)
        block, sent, answer = b" " * MB, 0, b""
        while sent < announced:
            try:
                answer += sock.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
            try:
                sent += sock.send(block[: min(MB, announced - sent)])
            except BlockingIOError:
                select.select([sock], [sock], [], 0.05)
            except OSError:
                break
        return sent, answer


def test_a_refused_body_is_read_for_64_mb_at_most(port):
    rng = random.Random(50)
    for path in ["/db/-/ask.json", "/-/llm/query.json", "/-/mcp", "/-/llm/db/examples"]:
        announced = rng.randint(160, 400) * MB
        sent, answer = sent_before_answer(port, path, announced)
        assert sent < DRAIN_BYTES + SLACK, (path, announced, sent // MB, answer[:60])
        assert sent < announced, (path, announced, sent // MB)
