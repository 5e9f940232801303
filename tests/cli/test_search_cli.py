"""`datasette llm embed` and `datasette llm search` through click's CliRunner."""

import json
import sqlite3

import pytest
from click.testing import CliRunner
from search_helpers import make_table, use_fake_model

from datasette_llm.cli import llm

ROWS = [
    {"id": 1, "text": "walrus on the ice"},
    {"id": 2, "text": "mango smoothie recipe"},
    {"id": 3, "text": "ice hockey results"},
]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def test_embed_then_search(tmp_path, fake_model):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", ROWS)
    runner = CliRunner()
    result = runner.invoke(llm, ["embed", path, "docs", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "docs: 3 embedded, 0 unchanged, 0 removed" in result.output and "rows/s" in result.output
    again = runner.invoke(llm, ["embed", path, "docs", "--json"])
    assert json.loads(again.output)["unchanged"] == 3

    found = runner.invoke(llm, ["search", path, "mango smoothie", "-n", "2", "--json", "--mode", "semantic"])
    assert found.exit_code == 0, found.output
    data = json.loads(found.output)
    assert data["hits"][0]["id"] == "2" and len(data["hits"]) == 2
    text = runner.invoke(llm, ["search", path, "walrus ice", "--table", "docs", "--mode", "semantic"])
    assert text.exit_code == 0 and text.output.splitlines()[0].split()[1:3] == ["docs", "1"]

    missing = runner.invoke(llm, ["search", path, "walrus", "--table", "nope"])
    assert missing.exit_code == 1 and "Tables: docs" in missing.output
    empty = runner.invoke(llm, ["search", path, "  "])
    assert empty.exit_code == 1 and "Error: The search query is empty" in empty.output


def test_embed_refuses_a_user_embeddings_table_then_uses_a_prefix(tmp_path, fake_model):
    path = str(tmp_path / "data.db")
    make_table(path, "docs", ROWS)
    make_table(path, "embeddings", [{"id": 1, "what": "user data"}])
    runner = CliRunner()
    refused = runner.invoke(llm, ["embed", path, "docs"])
    assert refused.exit_code == 1 and "table_prefix" in refused.output and "left untouched" in refused.output
    ok = runner.invoke(llm, ["embed", path, "docs", "--table-prefix", "llm_"])
    assert ok.exit_code == 0, ok.output
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from llm_embeddings").fetchone() == (3,)
        assert conn.execute("select * from embeddings").fetchall() == [(1, "user data")]


@pytest.mark.parametrize(
    "args",
    [
        ["search", "{db}", "caf\udcff"],
        ["ask", "{db}", "\udcff"],
        ["embed", "{db}", "docs", "--sql", "select '\udcff'"],
        ["embed", "{db}", "docs", "--table-prefix", "\udcff"],
    ],
)
def test_every_command_refuses_arguments_that_are_not_utf8(tmp_path, args):
    """Bytes that are not UTF-8 in argv reach Python as lone surrogates: each was a traceback (outside tester)."""
    path = str(tmp_path / "db.db")
    sqlite3.connect(path).close()
    result = CliRunner().invoke(llm, [arg.format(db=path) for arg in args])
    assert result.exit_code == 2 and "is not UTF-8 text" in result.output, result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("problem", ["not_utf8", "locked"])
def test_embed_on_a_database_it_cannot_read_or_write_is_a_one_line_error(tmp_path, fake_model, problem):
    """A text value that is not UTF-8, or another process holding the write lock: tracebacks before (an outside
    tester, session 19)."""
    path = str(tmp_path / "data.db")
    make_table(path, "docs", ROWS)
    holder = sqlite3.connect(path, isolation_level=None)
    if problem == "not_utf8":
        holder.execute("insert into docs values (4, cast(x'fffe4142' as text))")
    else:
        holder.execute("begin exclusive")
    try:
        result = CliRunner().invoke(llm, ["embed", path, "docs"])
    finally:
        if problem == "locked":
            holder.execute("rollback")
        holder.close()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert "could not be read or written" in result.output


def test_a_database_sqlite_cannot_read_as_asked_is_a_one_line_error(capsys):
    """`datasette llm ask` on a WAL file in a directory the user may not write ended in a traceback ("attempt to
    write a readonly database" from `pragma schema_version`: an outside tester, session 36; root may write any
    directory, so the failure is raised here as SQLite raised it)."""
    from datasette_llm.cli.common import run

    async def read():
        raise sqlite3.OperationalError("attempt to write a readonly database")

    with pytest.raises(SystemExit) as stopped:
        run(read())
    assert stopped.value.code == 1
    assert capsys.readouterr().err == "Error: the database could not be read: attempt to write a readonly database.\n"


CHILD = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal: a test run in the background ignores it
sys.path.insert(0, {tests!r})
from search_helpers import FakeEmbeddingModel
from datasette_llm import models
models.embedding_model_for = lambda settings, spec=None: FakeEmbeddingModel()
from datasette_llm.cli import llm
print("started", flush=True)
llm.main(["embed", {path!r}, "docs", "--sql", {sql!r}])
"""
# A source query that never ends: SQLite runs it without returning to Python, so Python never saw a Ctrl-C.
ENDLESS = "with recursive n(i) as (select 1 union all select i + 1 from n) select i, 'text ' || i from n"


def test_ctrl_c_stops_an_embed_whose_query_never_ends(tmp_path):
    """`embed --sql` with a recursive CTE that never ends ignored Ctrl-C for good (an outside tester's generated
    CLI runs, session 45): it stops now as any interrupted build does, exit 130, the database as it was."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    path = str(tmp_path / "data.db")
    make_table(path, "docs", ROWS)
    before = Path(path).read_bytes()
    code = CHILD.format(tests=str(Path(__file__).parents[1]), path=path, sql=ENDLESS)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "started"
        time.sleep(1.0)  # inside the query by now (the fake model loads nothing)
        assert child.poll() is None
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        stopped = time.monotonic() - sent
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
    assert child.returncode == 130, (child.returncode, out, err)
    assert "Interrupted: 0 rows embedded and saved" in err and "Traceback" not in err
    assert stopped < 10
    assert Path(path).read_bytes() == before
