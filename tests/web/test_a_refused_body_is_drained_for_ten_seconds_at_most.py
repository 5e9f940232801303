"""The rest of a refused body is read and dropped for 10 seconds at most before the refusal is sent (SECURITY.md
"Web": "the rest of a refused body (up to 64 MB or 10 s) is read and dropped before the refusal"). Over a real
socket, clients whose Content-Length says too much send part of the body and then stall or drip: whatever they
do, the 413 comes 10 s after the request, by the test's own clock, never earlier (the client would be reset
while still sending) and not much later (a client that stalls is not waited on for ever)."""

import random
import socket
import threading
import time

import sqlite_utils
from datasette.app import Datasette
from server_helpers import serve_in_thread

DRAIN_SECONDS = 10.0  # as documented
SLACK = 0.9  # a loaded machine's event loop wakes late, never early


def test_a_stalled_or_dripping_refused_body_is_answered_after_ten_seconds(tmp_path):
    sqlite_utils.Database(tmp_path / "db.db")["items"].insert({"id": 1}, pk="id")
    rnd = random.Random(10)
    plans = [  # (bytes sent at once, seconds between drips of one byte; 0: none)
        (rnd.randint(0, 100_000), 0),
        (rnd.randint(1, 1000), rnd.choice([0.5, 1.0, 3.0])),
        (rnd.randint(200_000, 2_000_000), rnd.choice([0.7, 2.0])),
    ]
    with serve_in_thread(Datasette([str(tmp_path / "db.db")]).app()) as base:
        port = int(base.rsplit(":", 1)[1])
        results = {}

        def client(n, first, drip):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                start = time.monotonic()
                sock.sendall(
                    b"POST /db/-/ask.json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 50000000\r\n\r\n" + b" " * first
                )
                sock.setblocking(False)
                head = b""
                while time.monotonic() - start < 25 and b"\r\n" not in head:
                    try:
                        head += sock.recv(4096)
                        continue
                    except BlockingIOError:
                        pass
                    if drip:
                        try:
                            sock.send(b" ")
                        except (BlockingIOError, OSError):
                            pass
                    time.sleep(drip or 0.05)
                results[n] = (head[:12], time.monotonic() - start)

        threads = [threading.Thread(target=client, args=(n, *plan)) for n, plan in enumerate(plans)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(40)
    for n, plan in enumerate(plans):
        head, seconds = results[n]
        assert head.startswith(b"HTTP/1.1 413"), (plan, head)
        assert DRAIN_SECONDS - 0.05 <= seconds <= DRAIN_SECONDS + SLACK + (plan[1] or 0.05), (plan, seconds)
