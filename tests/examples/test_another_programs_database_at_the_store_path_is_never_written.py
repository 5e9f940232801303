"""Another program's SQLite database where examples.db should be (its own `PRAGMA application_id`, any
`user_version`, tables that may even be named and shaped like the store's) is refused with a JSON error on every
surface that reads or writes the store, and never changed: its bytes, read before and after, are the oracle
(an outside tester's mutant, session 50: without the application_id check, no test failed, and a write went
into the other program's tables, or an update added columns to them)."""

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

TEACHER = {"id": "teacher"}
OTHER_APPLICATION_ID = 0x46534C21  # not the store's "dlle"


def foreign_database(path, user_version: int, shaped_like_the_store: bool):
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        if shaped_like_the_store:  # the columns the store reads and writes, and the ones it would add
            conn.execute(
                "create table examples (id integer primary key, database text not null, question text not null, "
                "sql text not null, added_by text, added_at text not null, schema_hash text not null, "
                "status text not null default 'active', reason text, reads text, names text, author_key text)"
            )
            conn.execute(
                "create table feedback (id integer primary key, database text not null, question text not null, "
                "sql text, verdict text not null, comment text, actor text, created_at text not null, reads text, "
                "names text)"
            )
            conn.execute(
                "create table example_vectors (example_id integer not null, model_key text not null, "
                "vector blob not null, primary key (example_id, model_key))"
            )
            conn.execute("create table generation (id integer primary key, n integer not null)")
            conn.execute("create table id_high_water (tbl text primary key, high integer not null)")
            conn.execute(
                "insert into examples values (1, 'db', 'theirs', 'select 1', 'x', '2025', 'h', 'active', null, "
                "'[]', '[]', 'cli')"
            )
        else:
            conn.execute("create table ledger (id integer primary key, amount integer)")
            conn.execute("insert into ledger values (1, 100)")
        conn.execute(f"pragma application_id = {OTHER_APPLICATION_ID}")
        conn.execute(f"pragma user_version = {user_version}")
    conn.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("user_version", [0, 1, 2, 3])
@pytest.mark.parametrize("shaped_like_the_store", [True, False])
async def test_another_programs_database_is_refused_and_left_as_it_is(tmp_path, user_version, shaped_like_the_store):
    state = tmp_path / "state"
    store = state / "examples.db"
    foreign_database(store, user_version, shaped_like_the_store)
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    db = make_database(tmp_path / "db.db")
    metadata = teaching_metadata(admin=False, state_dir=str(state))
    ds = Datasette([str(db)], metadata=metadata, secret="foreign-secret")
    auth = signed_in(ds, TEACHER)
    responses = [
        await ds.client.get("/-/llm/db/examples.json", **auth),
        await ds.client.post("/-/llm/db/examples", json={"question": "Cats?", "sql": "select * from cats"}, **auth),
        await ds.client.post(
            "/-/llm/db/feedback", json={"question": "Cats?", "sql": "select * from cats", "verdict": "wrong"}, **auth
        ),
    ]
    for response in responses:
        assert response.status_code >= 400, response.text
        assert response.json()["code"] == "example_store_error", response.text
    metadata_path = tmp_path / "metadata.json"
    metadata_path.write_text(json.dumps(metadata))
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps([{"question": "Ages?", "sql": "select age from cats"}]))
    for command in (["list", str(db)], ["import", str(db), str(pairs)]):
        cli = subprocess.run(
            [sys.executable, "-m", "datasette", "llm", "examples", *command, "-m", str(metadata_path)],
            capture_output=True,
            text=True,
        )
        assert cli.returncode != 0 and "Traceback" not in cli.stderr, (command, cli.stdout, cli.stderr)
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
