"""The storage's index names can be taken by a user's own index (or table) on something else: `datasette llm embed`
then stops with SQLite's reason, naming what is in the way, and the file's schema is as it was (read with plain
sqlite3): nothing of the store is half-made, and the reason is not some later symptom ("no such table").

Generated: which of the store's index names is taken, by an index or a table, under which table prefix."""

import random
import sqlite3

import pytest
from click.testing import CliRunner
from search_helpers import make_table, use_fake_model

from datasette_llm.cli import llm

_rng = random.Random(52)
PREFIXES = ["", "llm_", "".join(_rng.choice("abcxyz") for _ in range(4)) + "_"]
CASES = [
    (prefix, which, how)
    for prefix in PREFIXES
    for which in ("collections_name", "embeddings_content_hash")
    for how in ("index", "table")
]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.parametrize(("prefix", "which", "how"), CASES)
def test_a_taken_index_name_stops_the_build_whole(tmp_path, fake_model, prefix, which, how):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", [{"id": i, "text": f"apple pear {i}"} for i in range(4)])
    taken = f"idx_{prefix}{which}"
    with sqlite3.connect(path) as conn:
        conn.execute("create table other (a)")
        if how == "index":
            conn.execute(f"create index [{taken}] on other (a)")
        else:
            conn.execute(f"create table [{taken}] (a)")
        before = conn.execute("select type, name, sql from sqlite_master order by name").fetchall()
    args = ["embed", path, "docs"] + (["--table-prefix", prefix] if prefix else [])
    result = CliRunner().invoke(llm, args)
    assert result.exit_code == 1, result.output
    assert taken in result.output and "Traceback" not in result.output, result.output
    with sqlite3.connect(path) as conn:
        assert conn.execute("select type, name, sql from sqlite_master order by name").fetchall() == before
