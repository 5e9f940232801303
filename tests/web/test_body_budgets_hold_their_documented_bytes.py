"""The documented byte budgets of request bodies, at their exact edges, over real sockets (SECURITY.md "Fair
shares": request bodies held at once by every request are bounded at 96 MB, past which a large body is a 503, a
body under 64 KB never is; one address holds at most 24 MB of bodies, small ones included, a 429).

The oracle is the bytes this test has itself sent and the server has not answered yet: stalled MCP bodies (each
under MCP's 4 MB cap, their Content-Length said in full, their rest never sent) from addresses 127.0.0.2 and up,
each a client of its own. The numbers are the documented ones in binary units (MB = 2**20 bytes, KB = 2**10),
written here, not read from the plugin; the existing tests patch the constants and so cannot see them change.
"""

import json
import random
import select
import socket
import time

import sqlite_utils
from datasette.app import Datasette
from server_helpers import serve_in_thread

MB, KB = 2**20, 2**10
CLIENT_BYTES, ALL_BYTES, SMALL_BYTES = 24 * MB, 96 * MB, 64 * KB  # as documented
MCP_CAP = 4 * MB
MCP_HEAD = b"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"


def make_app(tmp_path):
    sqlite_utils.Database(tmp_path / "db.db")["items"].insert({"id": 1}, pk="id")
    return Datasette([str(tmp_path / "db.db")]).app()


def stall(port, address, sizes):
    """Connections from `address` that each said a Content-Length of MCP's cap and sent `size` bytes of it."""
    held = []
    for size in sizes:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(address, 0))
        sock.sendall(
            b"POST /-/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + MCP_HEAD
            + f"Content-Length: {MCP_CAP}\r\n\r\n".encode()
            + b" " * size
        )
        held.append(sock)
    return held


def split(total, rnd):
    """`total` bytes as bodies of at most MCP_CAP - 1 bytes (never a whole body: it would be answered)."""
    sizes = []
    while total > 0:
        size = min(total, rnd.randint(MCP_CAP // 2, MCP_CAP - 1))
        sizes.append(size)
        total -= size
    return sizes


def post(port, address, size):
    """The status of a query API POST from `address` whose JSON body is exactly `size` bytes."""
    body = json.dumps({"database": "db", "sql": "select 1"}).encode()
    body += b" " * (size - len(body))
    with socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(address, 0)) as sock:
        sock.sendall(
            b"POST /-/llm/query.json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        head = b""
        while b"\r\n" not in head and (chunk := sock.recv(4096)):
            head += chunk
    return int(head.split()[1])


def settled(check, held=(), seconds=2.0):
    """`check()` once the server has read what was sent to it (it reads as the bytes arrive, in milliseconds on
    loopback; a probe sent while it still reads would take the room of a stalled body, which is then refused)."""
    time.sleep(seconds)
    readable = select.select(list(held), [], [], 0)[0]
    assert not readable, "a stalled body was answered: it should have been held"
    return check()


def close(sockets):
    for sock in sockets:
        sock.close()


def test_one_address_holds_exactly_24_mb(tmp_path):
    rnd = random.Random(24)
    with serve_in_thread(make_app(tmp_path)) as base:
        port = int(base.rsplit(":", 1)[1])
        for gap in rnd.sample(range(200, 60_000), 3):  # a generated room left under the address's 24 MB
            held = stall(port, "127.0.0.2", split(CLIENT_BYTES - gap, rnd))
            try:
                # one byte past the address's budget: a 429 (once the server has read what it was sent) ...
                assert settled(lambda gap=gap: post(port, "127.0.0.2", gap + 1) == 429, held), gap
                # ... and a body that fills it exactly still passes, as does any other address
                assert post(port, "127.0.0.2", gap) == 200, gap
                assert post(port, "127.0.0.3", gap + 1) == 200, gap
            finally:
                close(held)
            assert settled(lambda gap=gap: post(port, "127.0.0.2", gap + 1) == 200), gap  # given back when they left


def test_every_request_holds_exactly_96_mb_and_small_bodies_always_pass(tmp_path):
    rnd = random.Random(96)
    with serve_in_thread(make_app(tmp_path)) as base:
        port = int(base.rsplit(":", 1)[1])
        probe = rnd.randint(SMALL_BYTES + 1, 120_000)  # a large body (over 64 KB), under the query API's cap
        held = []
        try:
            for n in range(3):
                held += stall(port, f"127.0.0.{2 + n}", split(CLIENT_BYTES, rnd))
            held += stall(port, "127.0.0.5", split(CLIENT_BYTES - probe, rnd))  # 96 MB less the probe, in all
            # a large body one byte past the bound is a 503 (once the server has read every stalled byte) ...
            assert settled(lambda: post(port, "127.0.0.6", probe + 1) == 503, held), probe
            # ... one that fills it exactly passes, and so does a small one past it: the largest small body too
            assert post(port, "127.0.0.6", probe) == 200, probe
            held += stall(port, "127.0.0.5", [probe])  # the bound full now: every byte of 96 MB held
            assert settled(lambda: post(port, "127.0.0.6", SMALL_BYTES + 1) == 503, held), probe
            for size in (SMALL_BYTES, SMALL_BYTES - rnd.randint(1, 2000), 200):
                assert post(port, "127.0.0.6", size) == 200, size
        finally:
            close(held)
