"""The storage `datasette llm embed` creates is llm's layout down to its indexes: `collections.name` is unique (llm
creates it so, and `insert or ignore` of a collection leans on it), `embeddings.content_hash` is indexed, and
llm's migration records sit in sqlite-utils' `_sqlite_migrations` layout (unique per migration set and name).

Oracle: the same layout written by sqlite-utils as llm's migrations write it, on a file of its own, read back with
plain sqlite3; for every generated table prefix and table name."""

import random
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner
from search_helpers import LLM_EMBEDDINGS_COLUMNS, make_table, use_fake_model

from datasette_llm.cli import llm

_rng = random.Random(52)
CASES = [("", "docs"), ("llm_", "notes")] + [
    (
        "".join(_rng.choice("abcxyz_") for _ in range(_rng.randint(1, 6))) + "_",
        "".join(_rng.choice("pqrstu") for _ in range(_rng.randint(3, 8))),
    )
    for _ in range(4)
]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def llm_layout(path, prefix: str) -> None:
    """llm's embeddings tables (m001-m005), written with sqlite-utils, under a prefix."""
    db = sqlite_utils.Database(path)
    collections, embeddings = f"{prefix}collections", f"{prefix}embeddings"
    db[collections].create({"id": int, "name": str, "model": str}, pk="id")
    db[collections].create_index(["name"], unique=True)
    db[embeddings].create(
        LLM_EMBEDDINGS_COLUMNS,
        pk=("collection_id", "id"),
        foreign_keys=[("collection_id", collections, "id")],
    )
    db[embeddings].create_index(["content_hash"])
    db.close()


def indexes(path, table: str) -> set:
    """(unique, indexed columns) of every index SQLite keeps for `table`, read with plain sqlite3."""
    with sqlite3.connect(path) as conn:
        found = set()
        for _, name, unique, *_ in conn.execute(f"pragma index_list([{table}])"):
            columns = tuple(row[2] for row in conn.execute(f"pragma index_info([{name}])"))
            found.add((bool(unique), columns))
        return found


@pytest.mark.parametrize(("prefix", "table"), CASES)
def test_embed_creates_llms_indexes(tmp_path, fake_model, prefix, table):
    path = str(tmp_path / "data.db")
    make_table(path, table, [{"id": i, "text": f"row {i} of {table}"} for i in range(1, 4)])
    args = ["embed", path, table] + (["--table-prefix", prefix] if prefix else [])
    result = CliRunner().invoke(llm, args)
    assert result.exit_code == 0, result.output

    reference = str(tmp_path / "llm.db")
    llm_layout(reference, prefix)
    for name in (f"{prefix}collections", f"{prefix}embeddings"):
        assert indexes(path, name) == indexes(reference, name), name
    if not prefix:
        # llm's migration records, in the table sqlite-utils' Migrations keeps them in (unique per set and name)
        db = sqlite_utils.Database(reference)
        sqlite_utils.Migrations("llm.embeddings").ensure_migrations_table(db)
        db.close()
        assert indexes(path, "_sqlite_migrations") == indexes(reference, "_sqlite_migrations")

    # What the unique index means: a second collection of the same name is refused, as in llm's own store.
    with sqlite3.connect(path) as conn:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(f"insert into [{prefix}collections] (name, model) values (?, 'other')", [table])
        assert conn.execute(f"select count(*) from [{prefix}collections] where name = ?", [table]).fetchone() == (1,)
