"""A request whose client leaves before its body has all come is incomplete, and nothing it says is done (RFC 9112
6.3: a message whose connection closes before the octets its Content-Length names, or before the last chunk, is
incomplete). Over a real socket, generated cuts of bodies whose first part is by itself a complete JSON object
(padding follows it, or the terminating chunk is missing): a trusted example or a piece of feedback sent so is
never stored, by the listing of the store before and after; the same body sent whole is (the listing's control)."""

import http.client
import json
import random
import socket
import time

import sqlite_utils
from datasette.app import Datasette
from server_helpers import serve_in_thread

TEACH = {"plugins": {"datasette-llm": {"allow_teach": True}}}


def listing(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/-/llm/db/examples.json")
        response = connection.getresponse()
        data = json.loads(response.read())
        assert response.status == 200, data
        return sorted(e["question"] for e in data["examples"]), sorted(f["question"] for f in data["feedback"])
    finally:
        connection.close()


def cut_off(port, path, data, rnd):
    """POST `data` as the complete start of a body its client never finishes, then leave."""
    body = json.dumps(data).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        if rnd.random() < 0.5:  # a length that says more than is sent
            missing = rnd.randint(1, 200_000)
            sock.sendall(f"{head}Content-Length: {len(body) + missing}\r\n\r\n".encode() + body)
            if rnd.random() < 0.5:
                sock.sendall(b" " * rnd.randint(0, missing - 1))
        else:  # chunked, the terminating chunk never sent
            sock.sendall(
                f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + f"{len(body):x}\r\n".encode() + body + b"\r\n"
            )
        time.sleep(rnd.uniform(0, 0.3))
    # the client has gone


def send_whole(port, path, data):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=json.dumps(data), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_cut_off_example_or_feedback_is_never_stored(tmp_path):
    db = sqlite_utils.Database(tmp_path / "db.db")
    db["items"].insert_all([{"id": i, "title": f"t{i}"} for i in range(3)], pk="id")
    rnd = random.Random(6)
    with serve_in_thread(Datasette([str(tmp_path / "db.db")], metadata=TEACH).app()) as base:
        port = int(base.rsplit(":", 1)[1])
        before = listing(port)
        for n in range(8):
            cut_off(
                port, "/-/llm/db/examples", {"question": f"cut example {n}", "sql": "select count(*) from items"}, rnd
            )
            cut_off(
                port, "/-/llm/db/feedback", {"question": f"cut feedback {n}", "verdict": "wrong", "comment": "c"}, rnd
            )
        time.sleep(1.0)  # whatever the server would do with them, done by now
        assert listing(port) == before
        # the control: the same requests, whole, are stored
        assert (
            send_whole(port, "/-/llm/db/examples", {"question": "whole example", "sql": "select count(*) from items"})[
                0
            ]
            == 201
        )
        assert (
            send_whole(port, "/-/llm/db/feedback", {"question": "whole feedback", "verdict": "wrong", "comment": "c"})[
                0
            ]
            == 201
        )
        assert listing(port) == (sorted(before[0] + ["whole example"]), sorted(before[1] + ["whole feedback"]))
