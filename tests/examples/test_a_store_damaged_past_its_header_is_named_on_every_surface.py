"""A store whose first page is whole (our application_id and version, the schema) but whose other pages are
damaged passes the checks made on opening; SQLite fails on the first read of a damaged table. That failure is
named on every surface, as a damaged store ("not a datasette-llm examples store ... Move it aside"), and nothing
is taken as read or written: the listing is a JSON error `example_store_error`, the command line exits 1 with
one line, never a traceback, an empty listing or a "stored" answer (an outside tester's mutant, session 50: with
SQLite's errors inside a store call dropped, no test failed).

The oracle: the bytes of pages 2 and on are overwritten with sqlite3's page size read from the file."""

import json
import random
import sqlite3
import subprocess
import sys

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

TEACHER = {"id": "teacher"}


def damage_past_the_first_page(path, rng):
    with sqlite3.connect(path) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
        conn.execute("pragma journal_mode = delete")
        page_size = conn.execute("pragma page_size").fetchone()[0]
        pages = conn.execute("pragma page_count").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    assert pages >= 3
    for page in range(1, pages):  # every page but the first
        start = page * page_size
        data[start : start + page_size] = bytes(rng.randrange(256) for _ in range(page_size))
    path.write_bytes(bytes(data))


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(2))
async def test_a_store_damaged_past_its_first_page_is_an_error_that_names_it(tmp_path, seed):
    rng = random.Random(seed)
    state = tmp_path / "state"
    db = make_database(tmp_path / "db.db")
    metadata = teaching_metadata(admin=False, state_dir=str(state))
    ds = Datasette([str(db)], metadata=metadata, secret="damaged-secret")
    auth = signed_in(ds, TEACHER)
    for n in range(40):
        pair = {"question": f"Cats older than {n}? " + "x" * 200, "sql": f"select name from cats where age > {n}"}
        assert (await ds.client.post("/-/llm/db/examples", json=pair, **auth)).status_code == 201
    damage_past_the_first_page(state / "examples.db", rng)
    listed = await ds.client.get("/-/llm/db/examples.json", **auth)
    assert listed.status_code == 500 and listed.json()["code"] == "example_store_error", listed.text
    assert "examples.db" in listed.json()["error"]
    added = await ds.client.post("/-/llm/db/examples", json={"question": "Cats?", "sql": "select * from cats"}, **auth)
    assert added.status_code == 500 and added.json()["code"] == "example_store_error", added.text
    metadata_path = tmp_path / "metadata.json"
    metadata_path.write_text(json.dumps(metadata))
    cli = subprocess.run(
        [sys.executable, "-m", "datasette", "llm", "examples", "list", str(db), "--json", "-m", str(metadata_path)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1 and "examples.db" in cli.stderr and "Traceback" not in cli.stderr, (
        cli.stdout,
        cli.stderr,
    )
