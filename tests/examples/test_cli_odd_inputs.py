"""Odd inputs to `datasette llm` commands, found by an outside tester's generated invocations (session 45): each is
one clear line and an exit code, never a hang, a traceback or a file overwritten."""

import hashlib
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore


def invoke(*args, code):
    result = CliRunner().invoke(llm, [*map(str, args)])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_a_pipe_or_a_device_is_refused_before_it_is_read(tmp_path, db_path, state):
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)  # reading it waited for a writer for ever
    for args in (
        ["examples", "list", fifo],
        ["search", fifo, "cats"],
        ["ask", fifo, "How many cats?"],
        ["examples", "import", db_path, fifo],
        ["examples", "list", db_path, "--config", fifo],
        ["models", "--config", "/dev/zero"],  # read without end: 23 GB before the kernel stopped it
    ):
        assert "not a regular file" in invoke(*args, code=2).output


def test_a_settings_file_longer_than_any_datasette_reads_is_refused(tmp_path, db_path, state):
    huge = tmp_path / "huge.json"
    huge.write_text('{"plugins": {}, "x": "' + "a" * (11 * 1024 * 1024) + '"}')
    assert "longer than" in invoke("examples", "list", db_path, "-m", huge, code=2).output


def test_a_database_whose_name_holds_a_question_mark_is_refused_not_swapped(tmp_path, db_path, state):
    odd = tmp_path / "a?b.db"
    shutil.copy(db_path, odd)
    result = invoke("examples", "list", odd, code=2)
    assert "'?', '#' or '%'" in result.output
    assert not (tmp_path / "a").exists()  # Datasette opened a new, empty `a` instead
    shutil.copy(db_path, tmp_path / "a%41.db")  # SQLite's URI reads it as aA.db
    assert "'?', '#' or '%'" in invoke("search", tmp_path / "a%41.db", "cats", code=2).output


def test_examples_import_reads_standard_input_from_a_dash(db_path, state):
    pairs = json.dumps([{"question": "How many cats?", "sql": "select count(*) from cats"}])
    result = CliRunner().invoke(llm, ["examples", "import", db_path, "-"], input=pairs)
    assert result.exit_code == 0, result.output
    assert ExampleStore(state / "examples.db").examples("db")[0].question == "How many cats?"


def test_an_export_never_overwrites_the_database_or_the_store(db_path, state):
    invoke("examples", "add", db_path, "How many cats?", "select count(*) from cats", code=0)
    before, store_before = digest(db_path), digest(state / "examples.db")
    wal = f"{db_path}-wal"  # changes the database has not taken in yet
    with open(wal, "wb") as handle:
        handle.write(b"not json")
    for target in (db_path, state / "examples.db", wal):
        assert "choose another file" in invoke("examples", "export", db_path, "-o", target, code=1).output
    assert digest(db_path) == before and digest(state / "examples.db") == store_before
    assert open(wal, "rb").read() == b"not json"
    assert ExampleStore(state / "examples.db").examples("db")[0].question == "How many cats?"
    exported = invoke("examples", "export", db_path, "-o", "-", code=0)
    assert json.loads(exported.stdout)[0]["question"] == "How many cats?"
    assert not os.path.exists("-")


def test_a_state_directory_given_with_a_tilde_is_the_home_directory(tmp_path, db_path, state, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    invoke("examples", "add", db_path, "How many cats?", "select count(*) from cats", "--state-dir", "~/st", code=0)
    assert (tmp_path / "home" / "st" / "examples.db").exists() and not (tmp_path / "~").exists()


@pytest.mark.parametrize(
    "config",
    [
        {"plugins": {"datasette-llm": {"state_dir": {"$file": "missing-secret.txt"}}}},
        {"settings": {"sql_time_limit_ms": "x"}},
    ],
)
def test_a_configuration_datasette_cannot_use_is_one_line_not_a_traceback(tmp_path, db_path, state, config):
    path = tmp_path / "datasette.json"
    path.write_text(json.dumps(config))
    args = ["examples", "add", db_path, "How many cats?", "select count(*) from cats", "--config", str(path)]
    result = CliRunner().invoke(llm, args)
    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), result.output  # 2: a usage error
    assert "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if line.startswith("Error: ")], result.output
    assert not (state / "examples.db").exists() or not ExampleStore(state / "examples.db").examples("db")


@pytest.mark.parametrize(
    "secret, message",
    [
        (b"\xff\xfe binary", "is not UTF-8 text"),
        (None, "cannot be read: No such file or directory"),
        ("/", "is not a regular file"),  # a device (/dev/zero) was read without end
        (7, 'a "$file" secret must name a file, not 7'),
    ],
)
def test_a_secret_file_datasette_cannot_read_is_named(tmp_path, db_path, state, secret, message):
    """A `$file` secret Datasette would read whole with open().read(): a binary file was a UnicodeDecodeError that
    named no file, a device was read without end; each is now one line naming the configuration and the file."""
    name = secret if isinstance(secret, (str, int)) else str(tmp_path / "secret.txt")
    if isinstance(secret, bytes):
        (tmp_path / "secret.txt").write_bytes(secret)
    path = tmp_path / "datasette.json"
    path.write_text(json.dumps({"plugins": {"datasette-llm": {"model": {"$file": name}}}}))
    output = invoke("examples", "list", db_path, "--config", path, code=2).output
    assert message in output and str(path) in output, output
    if not isinstance(secret, int):
        assert repr(name) in output, output


def test_a_remove_that_removes_nothing_leaves_the_store_as_it_was(db_path, state):
    invoke("examples", "add", db_path, "How many cats?", "select count(*) from cats", code=0)
    before = digest(state / "examples.db")
    assert "no example #999" in invoke("examples", "remove", db_path, 999, code=1).output
    assert digest(state / "examples.db") == before
