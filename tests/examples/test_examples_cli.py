"""`datasette llm examples add / import / list / remove / export` through click's CliRunner."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from examples_helpers import HIDE_SECRET, alter

from datasette_llm.cli import llm
from datasette_llm.examples import ExampleStore


def invoke(*args, code=0):
    """Run `datasette llm examples ARGS`; check the exit code and that no exception escaped as a traceback."""
    result = CliRunner().invoke(llm, ["examples", *map(str, args)])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def stored(state, database="db", **kwargs):
    return ExampleStore(state / "examples.db").examples(database, **kwargs)


def test_add_list_remove(db_path, state):
    added = invoke("add", db_path, "How many cats?", "select count(*) from cats")
    assert added.stdout == "Added example #1.\n"
    again = invoke("add", db_path, " How many cats? ", "select count(*) from cats")
    assert again.stdout == "Already present: example #1.\n"
    invoke("add", db_path, "Cat names", "select name from cats")

    listed = invoke("list", db_path)
    assert listed.stdout == (
        "#1  How many cats?\n    select count(*) from cats\n#2  Cat names\n    select name from cats\n"
    )
    as_json = json.loads(invoke("list", db_path, "--json").stdout)
    assert [(e["id"], e["question"], e["added_by"], e["status"]) for e in as_json] == [
        (1, "How many cats?", "cli", "active"),
        (2, "Cat names", "cli", "active"),
    ]

    assert invoke("remove", db_path, 1).stdout == "Removed example #1.\n"
    missing = invoke("remove", db_path, 1, code=1)
    assert "Error: the database 'db' has no example #1." in missing.stderr
    assert [example.id for example in stored(state)] == [2]


def test_add_refuses_what_the_guard_refuses(db_path, state):
    for sql, reason in [
        ("delete from cats", "only SELECT"),
        ("select * from dogs", 'no such table "dogs"'),
        ("select nam from cats", 'no such column "nam"'),
    ]:
        refused = invoke("add", db_path, "q", sql, code=1)
        assert refused.stderr.startswith("Error: the example was refused: ") and reason in refused.stderr
    empty = invoke("add", db_path, "   ", "select 1", code=1)
    assert "The question is empty." in empty.stderr
    assert not state.exists()  # nothing refused was written, so nothing was created


def test_a_table_hidden_by_the_metadata_is_refused_on_add_and_import(db_path, state, tmp_path):
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps(HIDE_SECRET))
    hidden = invoke("add", db_path, "codes", "select launch_code from secret", "-m", metadata, code=1)
    assert 'no such table "secret"' in hidden.stderr and "hunter2" not in hidden.output

    rows = [{"question": "codes", "sql": "select * from secret"}, {"question": "names", "sql": "select name from cats"}]
    examples = tmp_path / "examples.json"
    examples.write_text(json.dumps(rows))
    imported = invoke("import", db_path, examples, "-m", metadata, code=1)
    assert 'refused  item 1  codes: no such table "secret"' in imported.stderr
    assert "examples.json: 1 added, 0 already present, 1 refused." in imported.stdout
    # Without the metadata the table is visible and the same file adds it.
    invoke("add", db_path, "codes", "select launch_code from secret")
    assert [example.question for example in stored(state)] == ["names", "codes"]


def test_import_json_and_csv_reports_each_row(db_path, state, tmp_path):
    first = tmp_path / "first.json"
    first.write_text(
        json.dumps(
            [
                {"question": "How many cats?", "sql": "select count(*) from cats"},
                {"question": "Ages", "sql": "select age from cats", "note": "extra keys are ignored"},
                {"question": "Bad", "sql": "update cats set age = 1"},
            ]
        )
    )
    result = invoke("import", db_path, first, code=1)
    assert result.stdout.splitlines() == [
        "added    #1  How many cats?",
        "added    #2  Ages",
        "first.json: 2 added, 0 already present, 1 refused.",
    ]
    assert result.stderr.startswith("refused  item 3  Bad: only SELECT")

    second = tmp_path / "second.csv"
    second.write_text(
        'Question,SQL\nHow many cats?,select count(*) from cats\n\nOldest,"select name from cats order by age desc"\n'
    )
    result = invoke("import", db_path, second)
    assert result.stdout.splitlines() == [
        "present  #1  How many cats?",
        "added    #3  Oldest",
        "second.csv: 1 added, 1 already present, 0 refused.",
    ]
    assert [(e.question, e.added_by) for e in stored(state)] == [
        ("How many cats?", "import:first.json"),
        ("Ages", "import:first.json"),
        ("Oldest", "import:second.csv"),
    ]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.json", '[{"question": "q", ', "bad.json is not valid JSON (Expecting property name"),
        ("object.json", '{"question": "q", "sql": "select 1"}', "object.json must hold a JSON list"),
        ("items.json", '[["q", "select 1"]]', "items.json: item 1 is not an object with question and sql"),
        ("columns.csv", "q,query\nHow many?,select 1\n", "2 CSV columns found: q, query"),
        ("empty.csv", "", "0 CSV columns found"),
        ("latin1.csv", "question,sql\ncaf\xe9,select 1\n".encode("latin-1"), "latin1.csv is not UTF-8 text"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "deep.json is not valid JSON (it nests too deeply)"),
        ("bigint.json", '[{"question": "q", "sql": ' + "9" * 5000 + "}]", "bigint.json is not valid JSON"),
        (
            "surrogate.json",  # the first item would have been added before the second failed
            '[{"question": "good", "sql": "select 1"}, {"question": "bad \\ud800", "sql": "select 2"}]',
            "surrogate.json: item 2 contains a lone surrogate escape",
        ),
        (  # which of the two SQL texts was meant cannot be told: the last one was taken
            "twice.json",
            '[{"question": "q", "sql": "select 1"}, {"question": "q2", "sql": "select 2", "sql": "select 3"}]',
            "twice.json: an object gives the key 'sql' twice",
        ),
        ("twice.csv", "question,sql,SQL\nq,select 1,select 2\n", "twice.csv: the CSV column sql is given twice"),
    ],
)
def test_import_of_a_bad_file_says_what_is_wrong(db_path, state, tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = invoke("import", db_path, path, code=1)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert not state.exists()


def test_missing_or_bad_database_and_state_dir(db_path, state, tmp_path):
    missing = invoke("list", tmp_path / "nope.db", code=2)
    assert "does not exist" in missing.stderr
    missing_file = invoke("import", db_path, tmp_path / "nope.json", code=2)
    assert "does not exist" in missing_file.stderr
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("just some text, long enough to not be a database header")
    assert "is not a SQLite database" in invoke("list", not_sqlite, code=1).stderr
    invalid_id = invoke("remove", db_path, "one", code=2)
    assert "'one' is not a valid integer" in invalid_id.stderr

    taken = tmp_path / "taken"
    taken.write_text("a file")
    config = tmp_path / "datasette.json"
    config.write_text(json.dumps({"plugins": {"datasette-llm": {"state_dir": str(taken)}}}))
    refused = invoke("add", db_path, "q", "select 1", "--config", config, code=1)
    assert f"The datasette-llm state directory {taken} cannot be used: a file is in the way" in refused.stderr
    assert "Error: " in invoke("list", db_path, "--config", config, code=1).stderr

    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "examples.db").write_text("not sqlite " * 100)
    damaged = invoke("list", db_path, "--state-dir", junk, code=1)
    assert f"{junk / 'examples.db'} is not a datasette-llm examples store" in damaged.stderr


def test_state_dir_option_beats_the_setting_and_the_environment(db_path, state, tmp_path):
    config = tmp_path / "datasette.json"
    config.write_text(json.dumps({"plugins": {"datasette-llm": {"state_dir": str(tmp_path / "from-config")}}}))
    invoke("add", db_path, "q1", "select 1", "--config", config)
    invoke("add", db_path, "q2", "select 2", "--config", config, "--state-dir", tmp_path / "from-option")
    invoke("add", db_path, "q3", "select 3")
    assert [e.question for e in stored(tmp_path / "from-config")] == ["q1"]
    assert [e.question for e in stored(tmp_path / "from-option")] == ["q2"]
    assert [e.question for e in stored(state)] == ["q3"]


def test_list_and_export_recheck_after_a_schema_change(db_path, state, tmp_path):
    invoke("add", db_path, "Names", "select name from cats")
    invoke("add", db_path, "Ages", "select name, age from cats")
    alter(db_path, "alter table cats rename column age to years")

    listed = invoke("list", db_path)
    assert listed.stdout == "#1  Names\n    select name from cats\n"
    assert 'Set aside #2 (the schema changed): no such column "age"' in listed.stderr
    assert "1 set-aside example(s) not shown" in listed.stderr
    every = invoke("list", db_path, "--all")
    assert '#2  Ages  [set aside: no such column "age"' in every.stdout and "Set aside" not in every.stderr
    assert [e["status"] for e in json.loads(invoke("list", db_path, "--all", "--json").stdout)] == [
        "active",
        "set_aside",
    ]

    assert json.loads(invoke("export", db_path).stdout) == [{"question": "Names", "sql": "select name from cats"}]
    alter(db_path, "alter table cats rename column years to age")
    exported = tmp_path / "out.json"
    result = invoke("export", db_path, "--output", exported)
    assert result.stdout == "" and f"Exported 2 example(s) to {exported}." in result.stderr
    assert [row["question"] for row in json.loads(exported.read_text())] == ["Names", "Ages"]

    # What export writes, import reads: into another state directory, every example comes back.
    imported = invoke("import", db_path, exported, "--state-dir", tmp_path / "copy")
    assert "out.json: 2 added, 0 already present, 0 refused." in imported.stdout
    assert [(e.question, e.sql) for e in stored(tmp_path / "copy")] == [(e.question, e.sql) for e in stored(state)]


def test_an_empty_store_lists_nothing(db_path, state):
    result = invoke("list", db_path)
    assert result.stdout == "" and "No examples for the database 'db'." in result.stderr
    assert "other database names" not in result.stderr
    assert json.loads(invoke("export", db_path).stdout) == []
    assert not state.exists()


def test_a_renamed_file_is_told_where_its_examples_are(db_path, state, tmp_path):
    """Examples are kept by the database's name: a renamed file listed "No examples." with every one of them still in
    the store under the old name (an outside tester, session 41)."""
    invoke("add", db_path, "How many cats?", "select count(*) from cats")
    renamed = tmp_path / "felines.db"
    Path(db_path).rename(renamed)
    result = invoke("list", renamed)
    assert result.stdout == "" and "No examples for the database 'felines'." in result.stderr
    assert "other database names: 'db' (1)" in result.stderr


def test_every_command_has_help():
    group = llm.commands["examples"]
    assert sorted(group.commands) == ["add", "export", "import", "list", "remove"]
    for name in group.commands:
        result = CliRunner().invoke(llm, ["examples", name, "--help"])
        assert result.exit_code == 0 and "--state-dir" in result.output and "--metadata" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["add", "{db}", "How many \udcff?", "select 1"],  # what Python makes of the byte 0xff in argv
        ["add", "{db}", "How many?", "select '\udcff'"],
        ["import", "{db}", "{tmp}/g\udcff.json"],
        ["add", "{db}", "\ud800", "select 1"],  # not from argv, but from Python: shown all the same
    ],
)
def test_arguments_that_are_not_utf8_are_a_usage_error(db_path, state, tmp_path, args):
    args = [arg.format(db=db_path, tmp=tmp_path) for arg in args]
    result = invoke(*args, code=2)
    assert "is not UTF-8 text" in result.stderr
    assert not state.exists()


@pytest.mark.parametrize("example_id", ["99999999999999999999999", "9223372036854775808", "0"])
def test_an_id_out_of_range_is_a_usage_error(db_path, state, example_id):
    result = invoke("remove", db_path, example_id, code=2)
    assert "range" in result.stderr


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("broken.json", b'{"plugins": ', "could not be read as JSON"),
        ("bigint.json", b'{"x": ' + b"9" * 5000 + b"}", "could not be read as JSON"),
        ("latin1.yml", "title: caf\xe9\n".encode("latin-1"), "could not be read as YAML"),
        ("broken.yml", b"plugins: [unclosed\n", "could not be read as YAML"),
        ("list.json", b"[1]", "must hold a mapping"),
        ("text.yml", b"just words\n", "must hold a mapping"),
    ],
)
def test_a_metadata_file_that_cannot_be_read_is_a_one_line_error(db_path, state, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = invoke("list", db_path, "-m", path, code=2)
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_import_the_store_stops_part_way_says_what_was_stored(db_path, state, tmp_path, monkeypatch):
    """A lock taken during a 400-item import: exit 1 with "database is locked" only, and 152 items stored (an
    outside tester, session 19). Now the error says how far it got, and the same import again adds the rest."""
    from datasette_llm.examples.store import ExampleStoreBusy

    items = [{"question": f"Cats older than {n}?", "sql": f"select name from cats where age > {n}"} for n in range(6)]
    file = tmp_path / "six.json"
    file.write_text(json.dumps(items))
    real = ExampleStore.get_or_add_many
    calls = []

    def busy_on_the_second_write(self, *args, **kwargs):  # pairs are stored 3 at a time here
        calls.append(1)
        if len(calls) == 2:
            raise ExampleStoreBusy("The examples store is busy: another process is writing to it. Try again.")
        return real(self, *args, **kwargs)

    monkeypatch.setattr("datasette_llm.examples.check.ADD_BATCH", 3)
    monkeypatch.setattr(ExampleStore, "get_or_add_many", busy_on_the_second_write)
    failed = invoke("import", db_path, file, code=1)
    assert "The first 3 items were checked before it and 3 of them are stored" in failed.output
    assert len(stored(state)) == 3
    again = invoke("import", db_path, file)
    assert "3 added, 3 already present, 0 refused" in again.output and len(stored(state)) == 6


def test_an_import_file_is_read_as_it_is_and_only_so_far(db_path, state, tmp_path, monkeypatch):
    file = tmp_path / "crlf.csv"
    file.write_bytes(b'question,sql\r\n"Two\rlines?",select name from cats\r\n')
    invoke("import", db_path, file)
    assert [e.question for e in stored(state)] == ["Two\rlines?"]  # a carriage return in a cell is kept
    monkeypatch.setattr("datasette_llm.cli.examples.MAX_IMPORT_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text(json.dumps([{"question": "q" * 2000, "sql": "select 1"}]))
    assert "big.json is larger than" in invoke("import", db_path, big, code=1).output


def test_an_import_that_fills_the_store_says_so_and_not_to_run_it_again(db_path, state, tmp_path, monkeypatch):
    from datasette_llm.examples import store as store_module

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 4)
    items = [{"question": f"Cats older than {n}?", "sql": f"select name from cats where age > {n}"} for n in range(6)]
    file = tmp_path / "six.json"
    file.write_text(json.dumps(items))
    failed = invoke("import", db_path, file, code=1)
    assert "as many trusted examples as it may" in failed.output
    assert "The first 4 items were checked before it and 4 of them are stored." in failed.output
    assert "run the same import again" not in failed.output and len(stored(state)) == 4


def test_importing_an_export_finds_every_authors_examples_and_adds_none(db_path, state, tmp_path):
    """An outside tester (session 23): once an example was its author's, three teachers' copies of one pair,
    exported and imported again, became four, and each import added more."""
    store = ExampleStore(state / "examples.db")
    for author in ("ann", "bo", "cy"):
        store.add("db", "Cats?", "select name from cats", added_by=author, schema_hash="h", names="[]", reads="[]")
    exported = tmp_path / "out.json"
    invoke("export", db_path, "--output", exported)
    result = invoke("import", db_path, exported)
    assert "0 added" in result.output and len(stored(state)) == 3
    assert len(ExampleStore(state / "examples.db").examples("db")) == 3


def test_a_hidden_name_in_a_cli_examples_text_keeps_it_from_those_who_may_not_see_it(db_path, state, tmp_path):
    """The command line checks an example's SQL as an anonymous visitor would, but its text may name any table:
    whoever runs it can read the database file. An outside tester (session 24) found a CLI example naming a hidden
    table in its question recorded no name, so every asker was shown it."""
    from datasette_llm.examples.mentions import names_within, schema_names
    from datasette_llm.sql.results import SchemaInfo

    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps(HIDE_SECRET))
    invoke("add", db_path, "Are there as many cats as secret codes?", "select count(*) from cats", "-m", metadata)
    invoke(
        "import",
        db_path,
        _write(tmp_path, [{"question": "cats, not secret", "sql": "select name from cats"}]),
        "-m",
        metadata,
    )
    anonymous = schema_names(SchemaInfo(tables={"cats": ("id", "name", "age")}))
    for example in stored(state):
        assert "secret" in json.loads(example.names) and not names_within(example.names, anonymous)


def _write(tmp_path, rows):
    path = tmp_path / "examples.json"
    path.write_text(json.dumps(rows))
    return path
