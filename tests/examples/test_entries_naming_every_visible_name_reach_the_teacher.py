"""An admin's example or feedback whose text names only tables and columns the teacher may see is listed to the
teacher, however many of those names it uses: all of them too (an outside tester's mutant, session 50, read
"every name is one they may see" as "a proper part of what they may see", and such entries went missing).

Generated schemas (random visible tables and columns, one hidden table); the oracle is the permission
configuration: every name an entry's text uses is a visible table's or column's, so every entry is listed."""

import random
import sqlite3

import pytest
from datasette.app import Datasette
from examples_helpers import signed_in

ADMIN, TEACHER = {"id": "admin"}, {"id": "teacher"}
WORDS = ("cats", "dogs", "owner", "age", "colour", "price", "city", "notes", "weight", "born")


def make_schema(rng: random.Random, tmp_path, n: int):
    words = list(WORDS)
    rng.shuffle(words)
    tables = {}
    for _ in range(rng.randint(1, 2)):
        tables[words.pop()] = [words.pop() for _ in range(rng.randint(1, 2))]
    path = tmp_path / f"db{n}.db"
    with sqlite3.connect(path) as conn:
        for table, columns in tables.items():
            conn.execute(f"create table {table} ({', '.join(columns)})")
        conn.execute("create table vault (code text)")  # hidden: its name and column appear in no entry
    conn.close()
    return path, tables


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_an_entry_naming_every_visible_name_is_listed_to_the_teacher(tmp_path, seed):
    rng = random.Random(seed)
    path, tables = make_schema(rng, tmp_path, seed)
    database = path.stem
    metadata = {
        "databases": {database: {"tables": {"vault": {"allow": ADMIN}}}},
        "plugins": {
            "datasette-llm": {
                "warm_up": False,
                "allow_ask": {"id": ["teacher", "admin"]},
                "allow_teach": {"id": ["teacher", "admin"]},
            }
        },
    }
    ds = Datasette([str(path)], metadata=metadata, secret="every-visible-name")
    admin = signed_in(ds, ADMIN)
    names = [*tables, *(c for cs in tables.values() for c in cs)]
    table, columns = next(iter(tables.items()))
    added_examples, added_feedback = set(), set()
    for k in range(6):
        used = names if k < 3 else rng.sample(names, rng.randint(1, len(names)))  # all of them, then some
        spelt = [n.upper() if rng.random() < 0.5 else n for n in used]
        question = f"What of {' and '.join(spelt)}? ({k})"
        pair = {"question": question, "sql": f"select {', '.join(columns)} from {table}"}
        added = await ds.client.post(f"/-/llm/{database}/examples", json=pair, **admin)
        assert added.status_code == 201, added.text
        added_examples.add(added.json()["example"]["id"])
        sent = await ds.client.post(f"/-/llm/{database}/feedback", json={**pair, "verdict": "wrong"}, **admin)
        assert sent.status_code == 201, sent.text
        added_feedback.add(sent.json()["feedback"]["id"])
    listed = await ds.client.get(f"/-/llm/{database}/examples.json", **signed_in(ds, TEACHER))
    assert listed.status_code == 200, listed.text
    data = listed.json()
    assert {e["id"] for e in data["examples"]} == added_examples, (tables, data)
    assert {f["id"] for f in data["feedback"]} == added_feedback, (tables, data)
