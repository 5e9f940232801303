"""Every capped route takes a body of exactly its cap and refuses one byte more, however the body is framed
(SECURITY.md "Web": 256 KB per question, 4 MB for MCP; the teaching routes 256 KB; the query API states its own
in its refusal). Over a real socket: Content-Length said (refused before it is read when it says too much), and
chunked with no length (refused as it is read), in generated chunk sizes. RFC 9110 15.5.14: 413 is for content
larger than the server is willing to process, so N bytes pass exactly when N is at most the cap; what a body that
passes gets is the route's own answer, never 413."""

import http.client
import json
import random
import re

import pytest
import sqlite_utils
from datasette.app import Datasette
from server_helpers import serve_in_thread

KB, MB = 2**10, 2**20
MCP = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
ROUTES = {  # path: (documented cap or None to read it from the route's own refusal, body that reaches the route)
    "/db/-/ask.json": (256 * KB, {"question": ""}),
    "/db/-/ask.stream": (256 * KB, {"question": ""}),
    "/-/mcp": (4 * MB, {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    "/-/llm/db/examples": (256 * KB, {"question": "q", "sql": "select 1"}),
    "/-/llm/db/feedback": (256 * KB, {"question": "", "verdict": "wrong"}),
    "/-/llm/query.json": (None, {"database": "db", "sql": "select 1"}),
}


def send(port, path, body, chunks=None):
    """The status of a POST of `body`, with its Content-Length, or chunked in pieces of the sizes `chunks`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("POST", path)
        for name, value in {**MCP, "Content-Type": "application/json"}.items():
            connection.putheader(name, value)
        if chunks is None:
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            connection.send(body)
        else:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            start, sizes = 0, iter(chunks)
            while start < len(body):
                piece = body[start : start + next(sizes)]
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                start += len(piece)
            connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def padded(data, size):
    body = json.dumps(data).encode()
    return body + b" " * (size - len(body))


@pytest.mark.parametrize("path", list(ROUTES))
def test_a_body_of_its_cap_passes_and_one_byte_more_is_a_413(tmp_path, path):
    sqlite_utils.Database(tmp_path / "db.db")["items"].insert({"id": 1}, pk="id")
    ds = Datasette([str(tmp_path / "db.db")], metadata={"plugins": {"datasette-llm": {"allow_teach": True}}})
    rnd = random.Random(path)
    cap, data = ROUTES[path]
    with serve_in_thread(ds.app()) as base:
        port = int(base.rsplit(":", 1)[1])
        if cap is None:  # the limit the route's refusal states
            status, text = send(port, path, padded(data, 8 * MB))
            assert status == 413
            cap = int(re.search(rb"larger than ([\d,]+) bytes", text).group(1).replace(b",", b""))
        for size in sorted({cap - 1, cap, cap + 1, cap - rnd.randint(2, 5000), cap + rnd.randint(2, 5000)}):
            body = padded(data, size)
            for chunks in (None, [rnd.choice([1000, 65536, 70001, 1 << 20]) for _ in range(size // 1000 + 1)]):
                status, text = send(port, path, body, chunks)
                assert (status == 413) == (size > cap), (path, size, cap, chunks is None, status, text[:200])
