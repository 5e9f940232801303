"""Reading the examples store (the teacher's listing and page over HTTP, `datasette llm examples list`, Ask's
examples) changes nothing in its file: a store left in rollback-journal mode (by an earlier release, by hand, or
by another tool) is put in WAL mode by the next write only (store_file._use_wal), never by a read, which may
run where nothing may be written. The oracle is the file's own bytes and `PRAGMA journal_mode`, read with
sqlite3 (an outside tester's mutant, session 50: reads that set WAL mode passed every test)."""

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

from datasette_llm.ask.pipeline import ask

TEACHER = {"id": "teacher"}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.asyncio
@pytest.mark.parametrize("questions", [1, 4])
async def test_reads_leave_a_store_out_of_wal_mode_as_it_is(tmp_path, questions):
    mode = "delete"  # the one journal mode besides WAL that a file keeps
    state = tmp_path / "state"
    db = make_database(tmp_path / "db.db")
    metadata = teaching_metadata(admin=False, state_dir=str(state))
    ds = Datasette([str(db)], metadata=metadata, secret="reads-secret")
    auth = signed_in(ds, TEACHER)
    for n in range(questions):
        pair = {"question": f"Cats older than {n}?", "sql": f"select name from cats where age > {n}"}
        assert (await ds.client.post("/-/llm/db/examples", json=pair, **auth)).status_code == 201
    assert (await ds.client.get("/-/llm/db/examples.json", **auth)).status_code == 200  # the first re-check
    store = state / "examples.db"
    with sqlite3.connect(store) as conn:
        assert conn.execute(f"pragma journal_mode = {mode}").fetchone()[0] == mode
    conn.close()
    before = digest(store)

    listed = await ds.client.get("/-/llm/db/examples.json", **auth)
    assert listed.status_code == 200 and len(listed.json()["examples"]) == questions
    assert (await ds.client.get("/-/llm/db/examples", **auth)).status_code == 200
    model = ScriptedModel([sql_reply("select count(*) from cats"), "There are 2 cats."])
    result = await ask(ds, "db", "How many cats?", model=model, actor=TEACHER)
    assert result.sql and len(result.examples) > 0
    metadata_path = tmp_path / "metadata.json"
    metadata_path.write_text(json.dumps(metadata))
    cli = subprocess.run(
        [sys.executable, "-m", "datasette", "llm", "examples", "list", str(db), "--json", "-m", str(metadata_path)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0 and len(json.loads(cli.stdout)) == questions, cli.stderr

    assert digest(store) == before
    with sqlite3.connect(store) as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == mode
    conn.close()
    # the next write puts it in WAL mode, and keeps every example
    extra = {"question": "All the cats?", "sql": "select * from cats"}
    assert (await ds.client.post("/-/llm/db/examples", json=extra, **auth)).status_code == 201
    with sqlite3.connect(store) as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert (
            conn.execute("select count(*), count(distinct question) from examples").fetchone() == (questions + 1,) * 2
        )
    conn.close()


@pytest.mark.asyncio
async def test_reads_of_a_store_file_with_no_tables_yet_leave_it_empty(tmp_path):
    """The first write makes the file (0600) before SQLite writes to it: one that failed then leaves an empty
    file, which reads as a store with nothing in it, and stays empty until a write succeeds."""
    state = tmp_path / "state"
    state.mkdir()
    store = state / "examples.db"
    store.touch(mode=0o600)
    db = make_database(tmp_path / "db.db")
    metadata = teaching_metadata(admin=False, state_dir=str(state))
    ds = Datasette([str(db)], metadata=metadata, secret="reads-secret")
    auth = signed_in(ds, TEACHER)
    listed = await ds.client.get("/-/llm/db/examples.json", **auth)
    assert listed.status_code == 200 and listed.json()["examples"] == []
    assert (await ds.client.get("/-/llm/db/examples", **auth)).status_code == 200
    model = ScriptedModel([sql_reply("select count(*) from cats"), "There are 2 cats."])
    assert (await ask(ds, "db", "How many cats?", model=model, actor=TEACHER)).sql
    metadata_path = tmp_path / "metadata.json"
    metadata_path.write_text(json.dumps(metadata))
    cli = subprocess.run(
        [sys.executable, "-m", "datasette", "llm", "examples", "list", str(db), "--json", "-m", str(metadata_path)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0 and json.loads(cli.stdout) == [], cli.stderr
    assert store.stat().st_size == 0
    pair = {"question": "All the cats?", "sql": "select * from cats"}
    assert (await ds.client.post("/-/llm/db/examples", json=pair, **auth)).status_code == 201
    with sqlite3.connect(store) as conn:
        assert conn.execute("select question from examples").fetchall() == [("All the cats?",)]
    conn.close()
