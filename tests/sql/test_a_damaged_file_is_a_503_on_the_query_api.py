"""A database file damaged under a running server: the query API answered 400 "SQLite error: database disk image is
malformed", as if the statement were at fault, where SECURITY.md promises the 503 every other read of a damaged file
gives (an outside tester's coverage-guided drive, session 60). Ask's own read of it is no query to send back to the
model either."""

import sqlite3

import pytest
from datasette.app import Datasette


@pytest.mark.asyncio
async def test_a_read_of_a_damaged_file_is_a_503_that_says_so(tmp_path):
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (id integer primary key, body text)")
        conn.executemany("insert into t (body) values (?)", [("x" * 500,)] * 400)
    conn.close()
    ds = Datasette([str(path)])
    query = {"database": "data", "sql": "select count(*), sum(length(body)) from t"}
    assert (await ds.client.post("/-/llm/query.json", json=query)).status_code == 200
    size = path.stat().st_size
    with open(path, "r+b") as f:  # the header kept, every later page damaged: the same file the server has open
        f.seek(4096)
        f.write(b"\xff" * (size - 4096))
        f.seek(24)  # the file change counter: a connection that cached the pages reads them again
        counter = int.from_bytes(f.read(4), "big")
        f.seek(24)
        f.write((counter + 1).to_bytes(4, "big"))
    response = await ds.client.post("/-/llm/query.json", json=query)
    assert response.status_code == 503, response.text[:300]
    body = response.json()
    assert body["code"] == "database_unreadable" and "damaged" in body["error"], body
