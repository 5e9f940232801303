"""Three odd cases of the `examples` commands, from an outside tester's generated runs (session 58):

- a store edited by another tool so that a question is a BLOB: `export` and `list --json` failed through the
  CLI's catch-all ("Error: TypeError: Object of type bytes is not JSON serializable"), naming nothing;
- a state directory that is a file: `remove` said "the database 'db' has no example #1", where `list` and
  `export` name the state directory that cannot be used;
- `export -o /dev/stdout` into a pipe (or `-o >(cmd)`, or /proc/self/fd/1): "cannot be written: No such file or
  directory", since the realpath of a pipe's fd link (/proc/<pid>/fd/pipe:[N]) is no file."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

from click.testing import CliRunner

from datasette_llm.cli import llm


def invoke(*args):
    result = CliRunner().invoke(llm, [*map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def test_a_question_that_is_not_text_in_the_store_is_named_not_a_type_error(db_path, state):
    for n in (1, 2):
        assert invoke("examples", "add", db_path, f"question {n}", "select count(*) from cats").exit_code == 0
    with sqlite3.connect(state / "examples.db") as conn:
        conn.execute("update examples set question = x'fffe00' where id = 2")
    conn.close()
    for args in (["export", db_path], ["list", db_path, "--json"]):
        result = invoke("examples", *args)
        assert "TypeError" not in result.output, result.output


def test_remove_names_a_state_directory_that_is_a_file(tmp_path, db_path, monkeypatch):
    not_a_directory = tmp_path / "state-is-a-file"
    not_a_directory.write_text("x")
    monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(not_a_directory))
    listed = invoke("examples", "list", db_path)
    removed = invoke("examples", "remove", db_path, "1")
    assert "state directory" in listed.output
    assert removed.exit_code == 1 and "state directory" in removed.output, removed.output


def test_an_export_into_a_pipe_named_by_its_fd_link_is_written(db_path, state):
    assert invoke("examples", "add", db_path, "How many cats?", "select count(*) from cats").exit_code == 0
    code = textwrap.dedent(
        f"""
        from datasette_llm.cli import llm
        llm(["examples", "export", {db_path!r}, "-o", "/proc/self/fd/1"])
        """
    )
    env = {**os.environ, "DATASETTE_LLM_STATE_DIR": str(state)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["question"] == "How many cats?"
