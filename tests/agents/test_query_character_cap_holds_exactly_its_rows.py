"""`query_max_chars` is a cap on the JSON array of the rows returned (docs/http-api.md: "at most `query_max_chars`
characters"): with the cap set to exactly the length of SQLite's first k rows as JSON, those k rows come back
whole and nothing more; one character less, k - 1 rows.

A generated family (several statements, every k) through `/-/llm/query.json`; the oracle is SQLite's own rows
for the statement, serialised with Python's json (the plugin's `chars` field is that length).
"""

import json
import sqlite3

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for

STATEMENTS = [
    "select id, title, body from docs order by id",
    "select name, stars, readme from repos order by id",
    "select u.name, r.name, r.stars from users u join repos r on r.owner = u.id order by r.id",
]


@pytest.fixture
def db_path(tmp_path):
    return build_db(tmp_path / "db.db", big=False)


@pytest.mark.asyncio
@pytest.mark.parametrize("sql", STATEMENTS)
async def test_a_cap_of_exactly_k_rows_returns_k_rows(db_path, sql):
    conn = sqlite3.connect(db_path)
    rows = [list(row) for row in conn.execute(sql)]
    conn.close()
    assert len(rows) >= 3
    for k in range(1, len(rows) + 1):
        exact = len(json.dumps(rows[:k], ensure_ascii=False))
        for max_chars, shown in ((exact, k), (exact - 1, k - 1)):
            if shown == 0:
                continue  # not even one row fits: cells are clipped instead (another rule)
            ds = datasette_for(db_path, HIDE_SECRET, plugin_config={"query_max_chars": max_chars})
            response = await ds.client.get("/-/llm/query.json", params={"database": "db", "sql": sql})
            assert response.status_code == 200, response.text
            data = response.json()
            assert data["rows"] == rows[:shown], (sql, k, max_chars)
            assert data["chars"] == len(json.dumps(rows[:shown], ensure_ascii=False)) <= max_chars
            assert data["truncated"] is (shown < len(rows)), (sql, k, max_chars)
