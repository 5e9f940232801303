"""A store on a disk with no byte left, or on read-only media, is still listed over HTTP, and a write there is
a 507 (full): what the operating system says about the disk (os.statvfs, os.access) is the oracle,
not the plugin's own checks, which the store's tests replace (an outside tester's mutants, session 50: with
`_no_space_left` or `_on_read_only_media` answering nothing, every listing was a 500 and no test failed).

SQLite's behaviour there is simulated as the store's tests do (tests/examples/test_examples_store.py): the file
opens, and its first read fails, since SQLite cannot make the -shm file; a file opened immutable reads."""

import os
import sqlite3
from types import SimpleNamespace

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

TEACHER = {"id": "teacher"}


def version_2_store(path, pairs, schema_hash):
    """examples.db as schema version 2 wrote it (rollback journal): UNIQUE (database, question, sql)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "create table examples (id integer primary key, database text not null, question text not null, "
            "sql text not null, added_by text, added_at text not null, schema_hash text not null, "
            "status text not null default 'active', reason text, reads text, names text, "
            "unique (database, question, sql))"
        )
        conn.execute(
            "create table feedback (id integer primary key, database text not null, question text not null, "
            "sql text, verdict text not null, comment text, actor text, created_at text not null, reads text, "
            "names text)"
        )
        conn.execute(
            "create table example_vectors (example_id integer not null references examples (id) on delete cascade, "
            "model_key text not null, vector blob not null, primary key (example_id, model_key))"
        )
        for n, pair in enumerate(pairs, 1):
            conn.execute(
                "insert into examples values (?, 'db', ?, ?, 'teacher', '2025-01-01', 'h', 'active', null, "
                "'[\"cats\"]', '[\"cats\"]')",
                (n, pair["question"], pair["sql"]),
            )
        conn.execute(f"pragma application_id = {0x646C6C65}")
        conn.execute("pragma user_version = 2")
    conn.close()


def simulate_disk(monkeypatch, state, *, free_bytes: int, read_only_flag: bool, writable: bool):
    real_statvfs, real_access, real_connect = os.statvfs, os.access, sqlite3.connect

    def statvfs(path):
        found = real_statvfs(path)
        if os.path.realpath(path) != os.path.realpath(state):
            return found
        flag = found.f_flag | os.ST_RDONLY if read_only_flag else found.f_flag & ~os.ST_RDONLY
        return SimpleNamespace(f_bavail=free_bytes, f_flag=flag, f_bsize=found.f_bsize, f_frsize=found.f_frsize)

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and os.path.realpath(path) == os.path.realpath(state) and not writable:
            return False
        return real_access(path, mode, *args, **kwargs)

    class NoShm:  # what SQLite does there: the file opens, its first statement fails
        def __init__(self, message):
            self.message = message

        def execute(self, *args):
            raise sqlite3.OperationalError(self.message)

        def close(self):
            pass

        in_transaction = False

    def connect(target, *args, **kwargs):
        text = str(target)
        if str(state) in text or os.path.realpath(state) in text:
            if "immutable=1" in text:
                return real_connect(target, *args, **kwargs)
            return NoShm("disk I/O error" if free_bytes == 0 else "unable to open database file")
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(os, "statvfs", statvfs)
    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr("datasette_llm.examples.store_file.sqlite3.connect", connect)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "disk",
    [
        {"free_bytes": 0, "read_only_flag": False, "writable": True},  # full
        {"free_bytes": 10**9, "read_only_flag": True, "writable": True},  # a read-only mount
        {"free_bytes": 10**9, "read_only_flag": False, "writable": False},  # a directory nobody may write
    ],
    ids=["full", "read-only-mount", "no-write-permission"],
)
# A version 2 store there, or a schema changed since the last check, is re-checked before it is listed: a write, which
# failed the whole listing with a 500 (507 on a full disk) until the re-check's outcomes served the listing unwritten
# (an outside tester, session 50).
@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("schema_change", [None, "alter table cats add column colour text"])
async def test_a_store_the_disk_cannot_write_is_listed_and_a_write_is_never_a_500(
    tmp_path, monkeypatch, disk, version, schema_change
):
    state = tmp_path / "state"
    db = make_database(tmp_path / "db.db")
    ds = Datasette([str(db)], metadata=teaching_metadata(admin=False, state_dir=str(state)), secret="disk-secret")
    auth = signed_in(ds, TEACHER)
    pairs = [
        {"question": f"How many cats older than {n}?", "sql": f"select count(*) from cats where age > {n}"}
        for n in range(3)
    ]
    for pair in pairs:
        assert (await ds.client.post("/-/llm/db/examples", json=pair, **auth)).status_code == 201
    if version == 2:  # an earlier release's store of the same pairs: read as it is, never updated here
        with sqlite3.connect(state / "examples.db") as conn:
            (schema_hash,) = conn.execute("select distinct schema_hash from examples").fetchone()
        conn.close()
        for name in ("examples.db", "examples.db-wal", "examples.db-shm"):
            (state / name).unlink(missing_ok=True)
        version_2_store(state / "examples.db", pairs, schema_hash)
    if schema_change:
        with sqlite3.connect(db) as conn:
            conn.execute(schema_change)
        conn.close()
    before = (state / "examples.db").read_bytes()
    simulate_disk(monkeypatch, state, **disk)
    listed = await ds.client.get("/-/llm/db/examples.json", **auth)
    assert listed.status_code == 200, listed.text
    assert sorted(e["question"] for e in listed.json()["examples"]) == sorted(p["question"] for p in pairs)
    assert (state / "examples.db").read_bytes() == before
    written = await ds.client.post(
        "/-/llm/db/examples", json={"question": "Cats?", "sql": "select * from cats"}, **auth
    )
    # a write fails with a JSON error that says why: a full disk is 507; a store that cannot be written, the
    # server's own state (its configuration), a 500 that names it (errors.py), never a traceback
    assert written.status_code >= 400 and written.json()["code"], written.text
    if disk["free_bytes"] == 0:
        assert written.status_code == 507, written.text
    else:
        assert written.json()["code"] in ("example_store_error", "config_error"), written.text
