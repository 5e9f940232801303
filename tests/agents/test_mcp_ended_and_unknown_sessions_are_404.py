"""MCP sessions (Streamable HTTP, "Session Management"), over real HTTP, against the spec's rules:

- the server assigns an Mcp-Session-Id with the InitializeResult; requests carrying it are served;
- a client ends its session with DELETE carrying the id; once ended, "the server MUST respond to requests containing
  that session ID with HTTP 404 Not Found", a DELETE of it again included;
- an id the server never issued (made up, altered, signed for another purpose) is no session either: 404;
- a DELETE that names no session is a bad request (400).

Generated family: several sessions, each ended and then used with POST and DELETE; made-up ids of several shapes.
"""

from __future__ import annotations

import json
import random
import string

import httpx
import pytest
from agents_helpers import build_db, datasette_for
from server_helpers import serve_in_thread

VERSION = "2025-06-18"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def served_ds(tmp_path_factory):
    ds = datasette_for(build_db(tmp_path_factory.mktemp("sessions") / "db.db", big=False))
    with serve_in_thread(ds.app()) as url:
        yield ds, url


def initialize(client, base) -> str:
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    response = client.post(base + "/-/mcp", content=json.dumps(message).encode(), headers=HEADERS)
    assert response.status_code == 200, response.text[:200]
    return response.headers["mcp-session-id"]


def ping(client, base, session):
    return client.post(
        base + "/-/mcp",
        content=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}).encode(),
        headers={**HEADERS, "MCP-Protocol-Version": VERSION, "Mcp-Session-Id": session},
    )


def delete(client, base, session=None):
    headers = {"Mcp-Session-Id": session} if session is not None else {}
    return client.request("DELETE", base + "/-/mcp", headers=headers)


def made_up(rng, real: str, ds) -> list:
    ids = [
        "".join(rng.choice(string.ascii_letters + string.digits + "._-") for _ in range(rng.randint(1, 80)))
        for _ in range(6)
    ]
    for _ in range(4):
        i = rng.randrange(len(real))
        ids.append(real[:i] + ("A" if real[i] != "A" else "B") + real[i + 1 :])  # one character changed
    ids.append(ds.sign({"v": VERSION, "n": "0123456789abcdef"}, "csrftoken"))  # signed, for another purpose
    ids.append(ds.sign({"v": VERSION, "n": "0123456789abcdef"}, "actor"))
    return ids


def test_ended_and_made_up_sessions_are_not_found(served_ds):
    ds, base = served_ds
    rng = random.Random(49)
    with httpx.Client(timeout=30) as client:
        sessions = [initialize(client, base) for _ in range(5)]
        for session in sessions:
            assert ping(client, base, session).status_code == 200
        assert delete(client, base).status_code == 400
        for session in sessions[:3]:
            assert delete(client, base, session).status_code == 204
        for session in sessions[:3]:
            assert ping(client, base, session).status_code == 404
            assert delete(client, base, session).status_code == 404
        for session in sessions[3:]:  # ending some sessions ends no other
            assert ping(client, base, session).status_code == 200
        for fake in made_up(rng, sessions[4], ds):
            assert ping(client, base, fake).status_code == 404, fake
            assert delete(client, base, fake).status_code == 404, fake
        assert delete(client, base, sessions[4]).status_code == 204
