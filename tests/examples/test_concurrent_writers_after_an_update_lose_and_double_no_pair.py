"""Writers at once on a store from an earlier release (schema version 2, rollback journal, as that release wrote
it): the server's teaching endpoints (requests at once), threads of the store, and the command line's import (a
second process), all adding pairs, the same ones too. The oracle is the file's own rows read with sqlite3: every
pair the earlier release held is there once, with its vector; every pair sent is there exactly once for its
author (the command line's pairs once, whoever else holds them), no id given twice, the schema updated once."""

import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import threading

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

from datasette_llm.examples.store import ExampleStore

TEACHER = {"id": "teacher"}


def version_2_store(path, pairs):
    """examples.db as schema version 2 wrote it: UNIQUE (database, question, sql), `reads` and `names`."""
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
        for n, (question, sql, by) in enumerate(pairs, 1):
            conn.execute(
                "insert into examples values (?, 'db', ?, ?, ?, '2025-01-01', 'h', 'active', null, '[\"cats\"]', "
                "'[\"cats\"]')",
                (n, question, sql, by),
            )
            conn.execute("insert into example_vectors values (?, 'm', ?)", (n, bytes([n % 256]) * 8))
        conn.execute(f"pragma application_id = {0x646C6C65}")
        conn.execute("pragma user_version = 2")
    conn.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(3))
async def test_writers_at_once_on_an_earlier_store_lose_and_double_nothing(tmp_path, seed):
    rng = random.Random(seed)
    state = tmp_path / "state"
    db = make_database(tmp_path / "db.db")
    old = [
        (f"Old question {n}?", f"select name from cats where id = {n}", rng.choice(["ann", "cli", "bo"]))
        for n in range(20)
    ]
    version_2_store(state / "examples.db", old)
    metadata = teaching_metadata(admin=False, state_dir=str(state))
    metadata_path = tmp_path / "metadata.json"
    metadata_path.write_text(json.dumps(metadata))
    ds = Datasette([str(db)], metadata=metadata, secret="writers-secret")
    auth = signed_in(ds, TEACHER)

    http_pairs = [(f"Cats older than {n}?", f"select name from cats where age > {n}") for n in range(12)]
    cli_pairs = [(f"Cats named {n}?", f"select * from cats where name = 'c{n}'") for n in range(12)]
    cli_pairs += http_pairs[:4] + [(q, s) for q, s, _ in old[:3]]  # held already: found, not added
    thread_pairs = [(f"Cat ages below {n}?", f"select age from cats where age < {n}") for n in range(12)]
    rng.shuffle(cli_pairs)
    import_file = tmp_path / "import.json"
    import_file.write_text(json.dumps([{"question": q, "sql": s} for q, s in cli_pairs]))

    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "llm",
            "examples",
            "import",
            str(db),
            str(import_file),
            "-m",
            str(metadata_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors = []

    def thread_writer(chunk):
        store = ExampleStore(state / "examples.db")
        for question, sql in chunk:
            try:
                store.add("db", question, sql, added_by="tom", schema_hash="h", reads='["cats"]', names='["cats"]')
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))

    threads = [threading.Thread(target=thread_writer, args=(thread_pairs[i::3],)) for i in range(3)]
    for t in threads:
        t.start()
    posts = [http_pairs[i] for i in rng.sample(range(len(http_pairs)), len(http_pairs))] + http_pairs[:3]  # 3 twice
    at_once = asyncio.Semaphore(3)  # an actor may have 4 queries waiting for the guard (then 429)

    async def post(question, sql):
        async with at_once:
            return await ds.client.post("/-/llm/db/examples", json={"question": question, "sql": sql}, **auth)

    responses = await asyncio.gather(*(post(q, s) for q, s in posts))
    for t in threads:
        t.join(60)
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, (out, err)
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses if r.status_code >= 300]
    assert not errors, errors

    with sqlite3.connect(state / "examples.db") as conn:
        assert conn.execute("pragma user_version").fetchone() == (3,)
        rows = conn.execute("select id, question, sql, author_key from examples where database = 'db'").fetchall()
        vectors = dict(conn.execute("select example_id, vector from example_vectors where model_key = 'm'"))
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    conn.close()
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids))
    by_pair = {}
    for _, question, sql, author in rows:
        by_pair.setdefault((question, sql), []).append(author)
    assert all(len(a) == len(set(a)) for a in by_pair.values()), "a pair doubled for one author"
    # every earlier pair once, with its vector, under its id
    for n, (question, sql, _) in enumerate(old, 1):
        assert len(by_pair[(question, sql)]) == 1, (question, by_pair[(question, sql)])
        assert vectors.get(n) == bytes([n % 256]) * 8
        assert (n, question, sql) in {(i, q, s) for i, q, s, _ in rows}
    for pair in http_pairs:
        assert 'id:"teacher"' in by_pair[pair]
    for pair in thread_pairs:
        assert by_pair[pair] == ['id:"tom"']
    for pair in cli_pairs:
        assert pair in by_pair  # the command line finds any author's pair, or adds it once
    new_cli = [p for p in cli_pairs if p not in set(http_pairs) and p not in {(q, s) for q, s, _ in old}]
    for pair in new_cli:
        assert by_pair[pair] == ["cli"]
    expected = len(old) + len(http_pairs) + len(thread_pairs) + len(new_cli)
    # the command line may have added an HTTP pair before the server did: then both hold it
    assert expected <= len(rows) <= expected + 4, (len(rows), expected)
