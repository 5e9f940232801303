"""A store on read-only media (or in a directory nobody may write) is read "as a file that cannot change"
(`immutable=1`), since SQLite cannot make the -shm file it needs. Two cases that reading loses, from an outside
tester's read-only bind mounts (session 58):

- the store's committed examples still in examples.db-wal (a writer killed before a checkpoint; a copy of the
  state directory taken without the transient -shm file): immutable=1 ignores the WAL, so `list` (and export, and
  every question) showed only the examples checkpointed into examples.db, exit 0, without a word;
- a schema-1 store (an earlier release's): its first read migrates it, which cannot be done there, and the listing
  failed outright, where a schema-2 store is read through a temporary view.

SQLite's behaviour there is simulated as tests/examples/test_a_store_on_a_full_or_read_only_disk_is_listed_over_http.py
does (the state directory not writable, its first read failing, an immutable open working); the files are real.
"""

import os
import re
import shutil
import sqlite3

from click.testing import CliRunner

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore


def simulate_read_only(monkeypatch, state):
    real_access, real_connect = os.access, sqlite3.connect

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and os.path.realpath(path) == os.path.realpath(state):
            return False
        return real_access(path, mode, *args, **kwargs)

    class NoShm:
        in_transaction = False

        def execute(self, *args):
            raise sqlite3.OperationalError("unable to open database file")

        def close(self):
            pass

    def connect(target, *args, **kwargs):
        text = str(target)
        if os.path.realpath(state) in text and "immutable=1" not in text:
            return NoShm()
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr("datasette_llm.examples.store_file.sqlite3.connect", connect)


def listed(db_path, state):
    result = CliRunner().invoke(llm, ["examples", "list", db_path, "--state-dir", str(state)])
    assert "Traceback" not in result.output
    return result, re.findall(r"^#(\d+) ", result.output, re.M)


def test_examples_still_in_the_wal_are_listed_or_the_listing_says_it_cannot(tmp_path, db_path, monkeypatch):
    live, copy = tmp_path / "live", tmp_path / "copy"
    store = ExampleStore(live / "examples.db")
    store.add("db", "first question", "select count(*) from cats", added_by="cli", schema_hash="h")
    holder = sqlite3.connect(live / "examples.db")  # holds the file open: the closes below do not checkpoint
    holder.execute("select count(*) from examples").fetchone()
    for n in (1, 2, 3):
        store.add("db", f"question {n}", f"select count(*) from cats where age > {n}", added_by="cli", schema_hash="h")
    copy.mkdir()
    for name in ("examples.db", "examples.db-wal"):  # a copy without the transient -shm file
        shutil.copy(live / name, copy / name)
    holder.close()
    assert os.path.getsize(copy / "examples.db-wal") > 0
    simulate_read_only(monkeypatch, copy)
    result, ids = listed(db_path, copy)
    assert ids == ["1", "2", "3", "4"] or (result.exit_code == 1 and "wal" in result.output.lower()), result.output


def test_a_schema_1_store_on_read_only_media_is_listed(tmp_path, db_path, monkeypatch):
    state = tmp_path / "state"
    state.mkdir()
    conn = sqlite3.connect(state / "examples.db")
    conn.execute(
        "create table examples (id integer primary key, database text not null, question text not null, "
        "sql text not null, added_by text, added_at text not null, schema_hash text not null, "
        "status text not null default 'active', reason text, unique (database, question, sql))"
    )
    conn.execute(
        "create table feedback (id integer primary key, database text not null, question text not null, sql text, "
        "verdict text not null, comment text, actor text, created_at text not null)"
    )
    conn.execute(
        "create table example_vectors (example_id integer not null references examples (id) on delete cascade, "
        "model_key text not null, vector blob not null, primary key (example_id, model_key))"
    )
    conn.execute(
        "insert into examples values (1, 'db', 'How many cats?', 'select count(*) from cats', 'ann', '2025-01-01', "
        "'h', 'active', null)"
    )
    conn.execute(f"pragma application_id = {0x646C6C65}")
    conn.execute("pragma user_version = 1")
    conn.commit()
    conn.close()
    before = (state / "examples.db").read_bytes()
    simulate_read_only(monkeypatch, state)
    result, ids = listed(db_path, state)
    assert result.exit_code == 0 and ids == ["1"], result.output
    assert (state / "examples.db").read_bytes() == before
