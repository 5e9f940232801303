"""A client that asks "100 Continue" and then sends its body without a length (chunked; `curl -T -` and others do) is
told 413 when the body passes the route's cap, once it has sent the body: the server asked for the body, so it reads
and drops the rest before it answers (SECURITY.md "Web": the rest of a refused body, up to 64 MB or 10 s, is read
and dropped before the refusal), or a client still sending may be reset by a server that closes after its answer and
never see the 413. Only a client that was never told to continue is answered at once. A generated family: every
capped route, bodies of 1.5 to 5 times the cap in generated chunk sizes with a pause past the cap, over a real
socket (uvicorn). Oracle: RFC 9110 10.1.1 (Expect) and 15.5.14 (413)."""

from __future__ import annotations

import json
import random
import socket
import time

import pytest
from route_helpers import items_datasette
from server_helpers import serve_in_thread

KB, MB = 2**10, 2**20
ROUTES = {
    "/db/-/ask.json": 256 * KB,
    "/db/-/ask.stream": 256 * KB,
    "/-/llm/db/examples": 256 * KB,
    "/-/llm/db/feedback": 256 * KB,
    "/-/llm/query.json": 128 * KB,
    "/-/mcp": 4 * MB,
}


@pytest.fixture
def port(tmp_path):
    ds = items_datasette(tmp_path)
    with serve_in_thread(ds.app()) as base:
        yield int(base.rsplit(":", 1)[1])


def continued_post(port: int, path: str, size: int, chunk_sizes: list[int], pause_after: int) -> bytes:
    """Headers with Expect: 100-continue, wait for "100 Continue", send `size` bytes chunked (pausing a moment once
    `pause_after` bytes are sent, as a client on a slower link does); the response read."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"
            "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        interim = b""
        while b"\r\n\r\n" not in interim:
            interim += sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100"), interim[:100]  # the server asked for the body
        rest = interim.split(b"\r\n\r\n", 1)[1]
        body = json.dumps({"question": "x" * size}).encode()
        start, sizes, paused = 0, iter(chunk_sizes), False
        try:
            while start < len(body):
                if start >= pause_after and not paused:
                    time.sleep(0.5)
                    paused = True
                    sock.setblocking(False)
                    try:
                        early = sock.recv(65536)
                    except BlockingIOError:
                        early = b""
                    sock.setblocking(True)
                    sock.settimeout(30)
                    if early:  # answered while the client still sends: a server that closes now resets it
                        return b"EARLY " + rest + early
                piece = body[start : start + next(sizes)]
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                start += len(piece)
            sock.sendall(b"0\r\n\r\n")
        except OSError as error:  # reset while sending: the answer is lost
            return rest + repr(error).encode()
        response = rest
        try:
            while chunk := sock.recv(65536):
                response += chunk
                if b"\r\n\r\n" in response:
                    break
        except OSError as error:
            response += repr(error).encode()
        return response


def test_a_continued_body_over_its_cap_gets_its_413(port):
    rng = random.Random(50)
    for path, cap in ROUTES.items():
        for _ in range(2):
            size = int(cap * rng.uniform(1.5, 5))
            chunks = [rng.choice([1024, 8192, 65536, 300_000]) for _ in range(size // 1024 + 10)]
            response = continued_post(port, path, size, chunks, pause_after=int(cap * rng.uniform(1.05, 1.3)))
            assert response.startswith(b"HTTP/1.1 413"), (path, size, response[:200])
