"""A database that cannot be read right now (another program holds SQLite's exclusive lock) is a 503 with
`Retry-After` and the code `database_unreadable` on the plugin's JSON APIs, never a 500.

SECURITY.md, Web: "Errors are JSON with the right status, never tracebacks (one decorator, web/responses.py)";
web/responses.READ_FAILURES names sqlite3.DatabaseError for this ("database disk image is malformed" was a 500,
session 36). A 500 says the server is broken and is not retried; a 503 with Retry-After says wait. The lock is real:
a second SQLite connection in rollback-journal mode runs BEGIN EXCLUSIVE, so every reader gets "database is locked"
after its busy timeout. Found by mutation testing (an outside tester, session 53): with sqlite3.DatabaseError taken
out of READ_FAILURES the suite passed and these answers became 500 internal_error.
"""

import sqlite3

import pytest
from route_helpers import items_datasette


@pytest.mark.asyncio
async def test_locked_database_is_503_on_the_json_apis(tmp_path):
    ds = items_datasette(tmp_path, rows=1)
    # Before the lock: the same requests succeed (the oracle that only the lock differs).
    requests = [("/-/llm/schema.json", {"database": "db"}), ("/-/llm/query.json", {"sql": "select * from items"})]
    for path, params in requests:
        assert (await ds.client.get(path, params=params)).status_code == 200, path
    locker = sqlite3.connect(tmp_path / "db.db", isolation_level=None, timeout=0)
    locker.execute("pragma journal_mode=delete")
    locker.execute("begin exclusive")
    try:
        for path, params in requests:
            response = await ds.client.get(path, params=params)
            assert response.status_code == 503, (path, response.status_code, response.text[:300])
            body = response.json()
            assert body["ok"] is False and body["code"] == "database_unreadable", body
            assert body["status"] == 503
            assert int(response.headers.get("retry-after", "0")) >= 1, dict(response.headers)  # wait, then retry
            assert "Traceback" not in response.text
    finally:
        locker.execute("rollback")
        locker.close()
    for path, params in requests:
        assert (await ds.client.get(path, params=params)).status_code == 200, path
