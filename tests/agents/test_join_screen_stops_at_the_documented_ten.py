"""SECURITY.md (SQL guard): "Before any parse, a statement with more than 10 JOINs is refused ... every JOIN keyword
counts". The suite's JOIN tests read the bound from `parsing.MAX_JOINS`, the constant under test, so a screen moved
to 9 or 11 passed them all (an outside tester's mutation run, session 52). Here the bound is the documented number:
generated JOIN chains of 0-14 JOIN keywords of every kind (with ON, USING or nothing; commas mixed in, which are no
JOIN) go through the query API; SQLite (plain sqlite3) runs every one of them, and the plugin must answer exactly
those of at most 10 JOIN keywords, with SQLite's own rows, and refuse the others with a 400 that names the JOINs."""

from __future__ import annotations

import random
import sqlite3

import pytest
from agents_helpers import datasette_for

DOCUMENTED_MAX_JOINS = 10  # SECURITY.md, literally: "more than 10 JOINs is refused"
KINDS = [
    "JOIN",
    "join",
    "INNER JOIN",
    "LEFT JOIN",
    "left outer join",
    "CROSS JOIN",
    "NATURAL JOIN",
    "natural left join",
]


def chain(rng: random.Random, joins: int) -> str:
    parts = ["select count(*), max(t0.id) from t t0"]
    made = 0
    index = 1
    while made < joins:
        if rng.random() < 0.2:  # a comma join: not a JOIN keyword
            parts.append(f", t t{index}")
        else:
            kind = rng.choice(KINDS)
            constraint = ""
            if not kind.lower().startswith(("cross", "natural")):
                constraint = rng.choice(["", f" on t{index}.id = t0.id", " using (id)"])
            parts.append(f"{kind} t t{index}{constraint}")
            made += 1
        index += 1
    return " ".join(parts)


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key, name text)")
    conn.execute("insert into t values (1, 'a')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
async def test_chains_of_up_to_ten_join_keywords_run_and_longer_ones_are_refused(db_path):
    ds = datasette_for(db_path)
    conn = sqlite3.connect(db_path)
    rng = random.Random(52)
    seen = set()
    for joins in list(range(0, 15)) + [9, 10, 10, 11, 11]:
        sql = chain(rng, joins)
        assert sql.upper().count("JOIN") == joins
        expected = [list(row) for row in conn.execute(sql)]  # SQLite runs every one of them
        response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
        if joins <= DOCUMENTED_MAX_JOINS:
            assert response.status_code == 200, (joins, sql, response.text[:300])
            assert response.json()["rows"] == expected, sql
        else:
            assert response.status_code == 400, (joins, sql, response.text[:300])
            assert "JOINs" in response.json()["error"], response.text[:300]
        seen.add(response.status_code)
    conn.close()
    assert seen == {200, 400}
