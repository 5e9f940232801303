"""A body is JSON when its media type is application/json, however it is spelled (RFC 9110 8.3.1: the type and
subtype are case-insensitive, parameters follow a ";" with optional whitespace around it); any other media type
is a 415 on routes that take only JSON, and a url-encoded form is a form with parameters too. Over a real socket,
for generated spellings: the oracle is the RFC's grammar, the route's answer for the bare type the reference."""

import http.client
import json
import random

import sqlite_utils
from datasette.app import Datasette
from server_helpers import serve_in_thread

MCP = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
JSON_ROUTES = {  # path: a body the route reads
    "/-/llm/query.json": {"database": "db", "sql": "select count(*) as n from items"},
    "/-/mcp": {"jsonrpc": "2.0", "id": 1, "method": "ping"},
    "/db/-/ask.json": {"question": ""},
    "/-/llm/db/feedback": {"question": "", "verdict": "wrong"},
}


def spell(rnd, media_type):
    """`media_type` in random case, with random parameters and optional whitespace (RFC 9110 8.3.1)."""
    text = "".join(c.upper() if rnd.random() < 0.5 else c for c in media_type)
    for _ in range(rnd.randint(0, 3)):
        name, value = rnd.choice([("charset", "utf-8"), ("charset", '"UTF-8"'), ("foo", "bar"), ("v", "1")])
        text += rnd.choice(["", " ", "\t"]) + ";" + rnd.choice(["", " "]) + name + "=" + value
    return text


def post(port, path, content_type, body):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers={**MCP, "Content-Type": content_type})
        response = connection.getresponse()
        text = response.read()
        try:  # the answer without its timings
            data = json.loads(text)
            if isinstance(data, dict):
                data = {key: value for key, value in data.items() if key not in ("seconds", "timings")}
            return response.status, data
        except ValueError:
            return response.status, text
    finally:
        connection.close()


def test_json_is_json_in_any_spelling_and_other_types_are_415(tmp_path):
    db = sqlite_utils.Database(tmp_path / "db.db")
    db["items"].insert_all([{"id": i} for i in range(3)], pk="id")
    rnd = random.Random(8)
    with serve_in_thread(Datasette([str(tmp_path / "db.db")]).app()) as base:
        port = int(base.rsplit(":", 1)[1])
        for path, data in JSON_ROUTES.items():
            body = json.dumps(data).encode()
            reference = post(port, path, "application/json", body)
            assert reference[0] != 415, (path, reference)
            for _ in range(12):
                kind = spell(rnd, "application/json")
                assert post(port, path, kind, body) == reference, (path, kind)
            for other in ("text/plain", "application/jsonx", "text/json", "application/json-seq", "json"):
                kind = spell(rnd, other)
                status, text = post(port, path, kind, body)
                assert status == 415, (path, kind, status, text)
        form = b"database=db&sql=select+count(*)+as+n+from+items"
        reference = post(port, "/-/llm/query.json", "application/x-www-form-urlencoded", form)
        assert reference[0] == 200 and reference[1]["rows"] == [[3]]
        for _ in range(12):
            kind = spell(rnd, "application/x-www-form-urlencoded")
            assert post(port, "/-/llm/query.json", kind, form) == reference, kind
