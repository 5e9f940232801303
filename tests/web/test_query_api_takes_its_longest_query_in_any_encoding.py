"""The query API takes SQL of up to 10,000 characters and refuses a longer one with a 400 (docs/http-api.md), in
whatever way a client encodes the characters: JSON with \\u escapes (a character outside the BMP is a surrogate
pair, 12 bytes), raw UTF-8 JSON, a url-encoded form (%F0%9F%98%80, 12 bytes). So the body cap must not refuse a
query of 10,000 characters as too large (413) before its length is checked. Oracle: the documented character
limit, over a family of characters of every UTF-8 length and the three encodings."""

import json
from urllib.parse import urlencode

import pytest
from datasette.app import Datasette
from examples_helpers import make_database

LIMIT = 10_000
CHARACTERS = ["a", "é", "€", "😀", "\U0010fffd"]


def sql_of(length: int, char: str) -> str:
    head, tail = "select '", "' as x"
    return head + char * (length - len(head) - len(tail)) + tail


def bodies(sql: str):
    yield "json-escaped", json.dumps({"database": "db", "sql": sql}, ensure_ascii=True).encode(), "application/json"
    yield "json-utf8", json.dumps({"database": "db", "sql": sql}, ensure_ascii=False).encode(), "application/json"
    yield "form", urlencode({"database": "db", "sql": sql}).encode(), "application/x-www-form-urlencoded"


@pytest.mark.asyncio
async def test_the_longest_query_is_never_too_large(tmp_path):
    ds = Datasette([str(make_database(tmp_path / "db.db"))])
    for char in CHARACTERS:
        for length, expected in ((LIMIT, {200}), (LIMIT + 1, {400})):
            sql = sql_of(length, char)
            assert len(sql) == length
            for name, body, kind in bodies(sql):
                response = await ds.client.post("/-/llm/query.json", content=body, headers={"content-type": kind})
                assert response.status_code in expected, (
                    repr(char),
                    length,
                    name,
                    len(body),
                    response.status_code,
                    response.text[:200],
                )
