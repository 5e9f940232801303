"""setup-scripts/build_demo_db.py keeps a database built with embeddings in the user's cache, keyed by all its
build reads: a change to any of them builds again, and a kept copy is checked row by row by the incremental build."""

import importlib.util
import sqlite3
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.no_datasette


@pytest.fixture
def build_demo(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_demo_db", ROOT / "setup-scripts" / "build_demo_db.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = tmp_path / "demo"
    source.mkdir()
    with sqlite3.connect(source / "docs.db") as conn:
        conn.execute("create table docs (id integer primary key, body text)")
    conn.close()
    monkeypatch.setattr(module, "SOURCE", source)
    monkeypatch.setattr(module, "BUILD", source / "build")
    monkeypatch.setattr(module, "CACHE", tmp_path / "cache")
    return module


def test_the_key_changes_with_every_input_of_the_build(build_demo, tmp_path, monkeypatch):
    plan = {"embed": {"docs": ["body"]}}
    first = build_demo.cache_file("docs.db", plan, "digest-a")
    assert first.parent == tmp_path / "cache"
    assert build_demo.cache_file("docs.db", plan, "digest-a") == first
    assert build_demo.cache_file("docs.db", plan, "digest-b") != first  # the shipped file
    assert build_demo.cache_file("docs.db", {"embed": {"docs": ["title"]}}, "digest-a") != first  # the plan
    code = tmp_path / "build.py"
    code.write_text("one")
    monkeypatch.setattr(build_demo, "BUILD_INPUTS", [*build_demo.BUILD_INPUTS, code])
    before = build_demo.cache_file("docs.db", plan, "digest-a")
    code.write_text("two")  # the embeddings code, the script, the model's pins
    assert build_demo.cache_file("docs.db", plan, "digest-a") != before
    assert build_demo.cache_file("docs.db", {}, "digest-a") is None  # nothing embedded: nothing kept
    names = {str(path.relative_to(ROOT)) for path in build_demo.BUILD_INPUTS if path != code}
    assert {
        "datasette_llm/embeddings/build.py",
        "datasette_llm/models/onnx.py",
        "setup-scripts/build_demo_db.py",
    } <= names


def test_a_clone_starts_from_the_kept_build(build_demo, monkeypatch):
    embedded = []

    def embed_table(target, table, columns):
        embedded.append(target)
        with sqlite3.connect(target) as conn:
            conn.execute("create table if not exists built (n)")
            conn.execute("insert into built values (1)")
        conn.close()
        return "summary"

    import datasette_llm.embeddings

    monkeypatch.setattr(datasette_llm.embeddings, "embed_table", embed_table)
    plan = {"embed": {"docs": ["body"]}}
    build_demo.BUILD.mkdir()
    build_demo.build("docs.db", plan)
    kept = build_demo.cache_file("docs.db", plan, build_demo.sha256(build_demo.SOURCE / "docs.db"))
    assert kept.exists()
    for path in build_demo.BUILD.iterdir():  # a fresh clone
        path.unlink()
    build_demo.build("docs.db", plan)
    with sqlite3.connect(build_demo.BUILD / "docs.db") as conn:
        assert conn.execute("select count(*) from built").fetchone()[0] == 2  # the kept build, then checked again
    conn.close()
    assert len(embedded) == 2
