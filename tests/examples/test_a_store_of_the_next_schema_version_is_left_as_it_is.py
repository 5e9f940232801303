"""A store written by a newer datasette-llm is refused as such, and never written (docs/examples.md: "a store
written by a newer datasette-llm is refused as such (upgrade to use it)"). The suite checked a store of version 99;
an outside tester's mutation run (session 53) found the check could let the very next version through (`>` moved by
one) unnoticed: a store of the next release, the one a user downgrading meets, was then read as this one's and
written to, its newer schema left half-understood.

Oracle: the file's bytes before and after, and the documented refusal, over the command line and HTTP.
"""

import asyncio
import hashlib
import sqlite3

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from examples_helpers import TEACHER, signed_in, teaching_metadata

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore
from datasette_llm.examples.store_file import SCHEMA_VERSION


def next_release_store(path):
    ExampleStore(path).add("db", "How many cats?", "select count(*) from cats", added_by=None, schema_hash="h")
    with sqlite3.connect(path) as conn:
        conn.execute(f"pragma user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.asyncio
async def test_a_store_one_version_ahead_is_refused_on_every_surface_and_left_as_it_was(db_path, state):
    state.mkdir(parents=True, exist_ok=True)
    store = state / "examples.db"
    before = next_release_store(store)

    def cli(*args):  # in a thread: the command runs an event loop of its own
        return CliRunner().invoke(llm, ["examples", *args])

    added = await asyncio.to_thread(cli, "add", db_path, "Cat names", "select name from cats")
    assert added.exit_code != 0 and "newer datasette-llm" in added.output, added.output
    listed = await asyncio.to_thread(cli, "list", db_path)
    assert listed.exit_code != 0 and "newer datasette-llm" in listed.output, listed.output

    ds = Datasette([db_path], metadata=teaching_metadata())
    response = await ds.client.post(
        "/-/llm/db/examples", json={"question": "Cat names", "sql": "select name from cats"}, **signed_in(ds, TEACHER)
    )
    assert response.status_code == 500 and "newer datasette-llm" in response.json()["error"], response.text
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
    with sqlite3.connect(store) as conn:
        assert conn.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()
