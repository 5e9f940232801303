"""The examples store: examples.db, its examples, feedback and vectors, and what it refuses."""

import re
import sqlite3
import stat

import pytest

from datasette_llm.config import load_settings
from datasette_llm.errors import BadRequest, StoreFull
from datasette_llm.examples import (
    MAX_SQL_CHARS,
    ExampleStore,
    ExampleStoreError,
)

pytestmark = pytest.mark.no_datasette


@pytest.fixture
def store(tmp_path):
    return ExampleStore(tmp_path / "state" / "examples.db")


def test_round_trip_strips_and_keeps_order(store):
    first = store.add("db", "  How many cats?\n", " select count(*) from cats ; ", added_by="alice", schema_hash="h1")
    second = store.add(
        "db", "Oldest cat?", "select name from cats order by age desc limit 1", added_by="cli", schema_hash="h1"
    )
    store.add("other", "How many dogs?", "select count(*) from dogs", added_by=None, schema_hash="h9")

    assert (first.question, first.sql) == ("How many cats?", "select count(*) from cats ;")
    assert (first.added_by, first.schema_hash, first.status, first.reason) == ("alice", "h1", "active", None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first.added_at)
    assert store.examples("db") == [first, second]
    assert store.get("db", second.id) == second
    assert store.get("other", second.id) is None  # ids are looked up within their database
    assert first.to_json() == {
        "id": first.id,
        "database": "db",
        "question": "How many cats?",
        "sql": "select count(*) from cats ;",
        "added_by": "alice",
        "added_at": first.added_at,
        "schema_hash": "h1",
        "status": "active",
        "reason": None,
    }
    # Another store on the same file (another process, the CLI) sees the same examples.
    assert ExampleStore(store.path).examples("db") == [first, second]


def test_the_same_example_twice_is_stored_once_for_its_author(store):
    example, created = store.get_or_add(
        "db", "How many cats?", "select count(*) from cats", added_by="a", schema_hash="h"
    )
    again, created_again = store.get_or_add(
        "db", " How many cats? ", "select count(*) from cats", added_by="a", schema_hash="h"
    )
    assert created and not created_again and again == example
    # Another author's is theirs: its own id, author and time (an outside tester, session 22: "present" with the
    # first author's id, name and time told a teacher of an admin's example they may not see).
    other, created_other = store.get_or_add(
        "db", "How many cats?", "select count(*) from cats", added_by="b", schema_hash="h"
    )
    assert created_other and other.id != example.id and other.added_by == "b"
    nobody = store.add("db", "How many cats?", "select count(*) from cats", added_by=None, schema_hash="h")
    assert store.add("db", "How many cats?", "select count(*) from cats", added_by=None, schema_hash="h") == nobody
    assert len(store.examples("db")) == 3
    # The same question with other SQL, or in another database, is another example.
    assert (
        store.add("db", "How many cats?", "select count(id) from cats", added_by="a", schema_hash="h").id != example.id
    )
    assert (
        store.add("db2", "How many cats?", "select count(*) from cats", added_by="a", schema_hash="h").id != example.id
    )


@pytest.mark.parametrize(
    "question, sql, message",
    [
        ("", "select 1", "The question is empty."),
        ("   \n", "select 1", "The question is empty."),
        ("Why?", "  ", "The SQL is empty."),
        (None, "select 1", "The question must be text."),
        ("Why?", 42, "The SQL must be text."),
        ("x" * 51, "select 1", "The question is 51 characters long; the most is 50."),
        ("Why?", "select 1 " + "-" * MAX_SQL_CHARS, "the most is 20,000."),
    ],
)
def test_empty_or_long_questions_and_sql_are_refused(tmp_path, question, sql, message):
    store = ExampleStore(tmp_path / "examples.db", max_question_chars=50)
    with pytest.raises(BadRequest) as refused:
        store.add("db", question, sql, added_by=None, schema_hash="h")
    assert message in refused.value.message
    assert store.examples("db") == []


def test_for_settings_reads_the_question_limit_and_the_state_dir(tmp_path):
    settings = load_settings({"state_dir": str(tmp_path / "here"), "max_question_chars": 10})
    store = ExampleStore.for_settings(settings)
    assert store.path == tmp_path / "here" / "examples.db"
    with pytest.raises(BadRequest, match="11 characters"):
        store.add("db", "x" * 11, "select 1", added_by=None, schema_hash="h")
    assert store.add("db", "x" * 10, "select 1", added_by=None, schema_hash="h").question == "x" * 10


def test_remove_deletes_the_example_and_its_vectors(store):
    kept = store.add("db", "q1", "select 1", added_by=None, schema_hash="h")
    gone = store.add("db", "q2", "select 2", added_by=None, schema_hash="h")
    for example in (kept, gone):
        store.save_vector(example.id, "minilm", bytes([example.id]) * 8)
        store.save_vector(example.id, "other-model", b"\x00" * 8)
    store.save_vector(kept.id, "minilm", b"\x07" * 8)  # replaces, not adds
    assert store.vectors("db", "minilm") == {kept.id: b"\x07" * 8, gone.id: bytes([gone.id]) * 8}

    assert store.remove("other", gone.id) is False  # not that database's example
    assert store.remove("db", gone.id) is True
    assert store.remove("db", gone.id) is False
    assert store.vectors("db", "minilm") == {kept.id: b"\x07" * 8}
    assert store.vectors("db", "other-model") == {kept.id: b"\x00" * 8}
    assert store.vectors("other", "minilm") == {}
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("select count(*) from example_vectors where example_id = ?", [gone.id]).fetchone() == (0,)
    conn.close()
    # A vector for an example removed meanwhile (retrieval racing a removal) is dropped, not an error.
    store.save_vector(gone.id, "minilm", b"\x01" * 8)
    assert store.vectors("db", "minilm") == {kept.id: b"\x07" * 8}


def test_set_checked_sets_aside_and_adding_again_restores(store):
    example = store.add("db", "q", "select age from cats", added_by=None, schema_hash="h1")
    store.set_checked(example.id, schema_hash="h2", status="set_aside", reason='no such column "age"')
    assert store.examples("db") == []
    (aside,) = store.examples("db", include_set_aside=True)
    assert (aside.status, aside.reason, aside.schema_hash) == ("set_aside", 'no such column "age"', "h2")
    store.set_checked(example.id, schema_hash="h3", status="active", reason="ignored when active")
    assert store.get("db", example.id).reason is None and store.examples("db")[0].schema_hash == "h3"
    with pytest.raises(ValueError, match="status"):
        store.set_checked(example.id, schema_hash="h3", status="deleted", reason=None)

    store.set_checked(example.id, schema_hash="h4", status="set_aside", reason="gone")
    readded = store.add("db", "q", "select age from cats", added_by=None, schema_hash="h5")
    assert (readded.id, readded.status, readded.reason, readded.schema_hash) == (example.id, "active", None, "h5")


def test_feedback_is_recorded_listed_and_removed(store):
    wrong = store.record_feedback(
        "db", " How many cats? ", "select 1", "wrong", comment="  counts dogs too ", actor="alice"
    )
    right = store.record_feedback("db", "Oldest cat?", "  ", "right", comment="   ", actor=None)
    store.record_feedback("other", "q", None, "right", comment=None, actor=None)
    assert (wrong.question, wrong.sql, wrong.verdict, wrong.comment, wrong.actor) == (
        "How many cats?",
        "select 1",
        "wrong",
        "counts dogs too",
        "alice",
    )
    assert (right.sql, right.comment) == (None, None)
    assert store.feedback("db") == [wrong, right]
    assert wrong.to_json()["verdict"] == "wrong" and set(wrong.to_json()) == {
        "id", "database", "question", "sql", "verdict", "comment", "actor", "created_at"
    }  # fmt: skip
    with pytest.raises(BadRequest, match="right, wrong"):
        store.record_feedback("db", "q", None, "meh", comment=None, actor=None)
    with pytest.raises(BadRequest, match="question is empty"):
        store.record_feedback("db", " ", None, "right", comment=None, actor=None)
    assert store.get_feedback("db", wrong.id) == wrong and store.get_feedback("other", wrong.id) is None
    assert store.remove_feedback("other", wrong.id) is False
    assert store.remove_feedback("db", wrong.id) is True
    assert store.get_feedback("db", wrong.id) is None
    assert store.feedback("db") == [right]
    # Feedback and examples are separate: no example came of it.
    assert store.examples("db") == []


def test_reading_creates_nothing_and_the_first_write_makes_a_private_wal_store(tmp_path):
    path = tmp_path / "state" / "deeper" / "examples.db"
    store = ExampleStore(path)
    assert store.examples("db") == [] and store.feedback("db") == [] and store.vectors("db", "m") == {}
    assert store.get("db", 1) is None and store.remove("db", 1) is False and store.remove_feedback("db", 1) is False
    assert store.get_feedback("db", 1) is None
    assert not path.parent.exists()

    store.add("db", "q", "select 1", added_by=None, schema_hash="h")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as conn:
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
        assert conn.execute("pragma user_version").fetchone() == (3,)
    conn.close()


def _version_1_store(path):
    """A store as datasette-llm wrote it before the `reads` columns (schema version 1), with one of each row."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "create table examples (id integer primary key, database text not null, question text not null, "
            "sql text not null, added_by text, added_at text not null, schema_hash text not null, "
            "status text not null default 'active', reason text, unique (database, question, sql))"
        )
        conn.execute(
            "create table feedback (id integer primary key, database text not null, question text not null, "
            "sql text, verdict text not null, comment text, actor text, created_at text not null)"
        )
        conn.execute(
            "create table example_vectors (example_id integer not null references examples (id) on delete cascade, "
            "model_key text not null, vector blob not null, primary key (example_id, model_key))"
        )
        conn.execute("insert into examples values (1, 'db', 'q', 'select 1', 'ann', '2025-01-01', 'h', 'active', null)")
        conn.execute("insert into feedback values (1, 'db', 'q', 'select 2', 'wrong', null, 'bob', '2025-01-01')")
        conn.execute(f"pragma application_id = {0x646C6C65}")
        conn.execute("pragma user_version = 1")
    conn.close()


@pytest.mark.parametrize("first", ["read", "write"])
def test_a_version_1_store_gains_the_reads_columns_and_keeps_its_rows(tmp_path, first):
    path = tmp_path / "examples.db"
    _version_1_store(path)
    store = ExampleStore(path)
    if first == "write":
        store.record_feedback("db", "q2", "select 3", "wrong", comment=None, actor="cy", reads='["cats"]')
    (example,) = store.examples("db")
    assert (example.id, example.sql, example.added_by, example.reads) == (1, "select 1", "ann", None)
    assert [(f.id, f.sql, f.actor, f.reads) for f in store.feedback("db")][:1] == [(1, "select 2", "bob", None)]
    store.set_checks(example, "[]", '["cats"]')
    assert (store.get("db", 1).reads, store.get("db", 1).names) == ("[]", '["cats"]')
    with sqlite3.connect(path) as conn:
        assert conn.execute("pragma user_version").fetchone() == (3,)
    conn.close()


def test_a_write_that_changes_no_row_still_keeps_the_upgrade_it_made(tmp_path):
    """The store keeps its generation when a write changed nothing (session 45), but commits all the same."""
    path = tmp_path / "examples.db"
    _version_1_store(path)
    with sqlite3.connect(path) as conn:  # no row for the upgrade to change
        conn.execute("delete from examples")
        conn.execute("delete from feedback")
    conn.close()
    assert ExampleStore(path).remove("db", 999) is False
    with sqlite3.connect(path) as conn:
        assert conn.execute("pragma user_version").fetchone() == (3,)
    conn.close()


def test_a_version_2_store_is_read_as_it_is_and_its_first_writer_makes_examples_each_authors(tmp_path):
    path = tmp_path / "examples.db"
    _version_1_store(path)
    with sqlite3.connect(path) as conn:
        for statement in ("examples add reads text", "examples add names text", "feedback add reads text"):
            conn.execute(f"alter table {statement.replace(' add ', ' add column ')}")
        conn.execute("alter table feedback add column names text")
        conn.execute(
            "insert into examples values (2, 'db', 'q2', 'select 2', 'ann', '2025-01-02', 'h', 'active', "
            "null, '[]', '[\"secret\"]')"
        )
        conn.execute("insert into example_vectors values (2, 'm', x'0000803f')")
        conn.execute("pragma user_version = 2")
    conn.close()
    path.chmod(0o400)
    read_only = ExampleStore(path)
    assert [e.id for e in read_only.examples("db")] == [1, 2] and read_only.vectors("db", "m") == {2: b"\x00\x00\x80?"}
    path.chmod(0o600)
    store = ExampleStore(path)
    mine = store.add("db", "q2", "select 2", added_by="bo", schema_hash="h", reads="[]", names="[]")
    assert mine.id == 3 and mine.names == "[]"  # ann's example is ann's: its names are not narrowed to bo's
    assert [(e.id, e.added_by, e.names) for e in store.examples("db")] == [
        (1, "ann", None),
        (2, "ann", '["secret"]'),
        (3, "bo", "[]"),
    ]
    assert store.vectors("db", "m") == {2: b"\x00\x00\x80?"}  # kept through the table's rebuild
    assert [e.author_key for e in store.examples("db")] == [
        'id:"ann"',
        'id:"ann"',
        'id:"bo"',
    ]
    assert store.add("db", "q2", "select 2", added_by="ann", schema_hash="h").id == 2
    with sqlite3.connect(path) as conn:
        assert conn.execute("pragma user_version").fetchone() == (3,)
        assert conn.execute("pragma foreign_key_check").fetchall() == []
    conn.close()


def test_an_empty_file_reads_as_an_empty_store(tmp_path):
    path = tmp_path / "examples.db"
    path.touch()
    store = ExampleStore(path)
    assert store.examples("db") == []
    assert store.add("db", "q", "select 1", added_by=None, schema_hash="h").id == 1


def _foreign_database(path):
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (body text)")
    conn.close()


def _newer_store(path):
    ExampleStore(path).add("db", "q", "select 1", added_by=None, schema_hash="h")
    with sqlite3.connect(path) as conn:
        conn.execute("pragma user_version = 99")
    conn.close()


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda path: path.write_bytes(b"this is not sqlite at all" * 100), "file is not a database"),
        (_foreign_database, "another program's tables"),
        (_newer_store, "newer datasette-llm"),
    ],
)
def test_a_damaged_or_foreign_file_is_named_in_the_error(tmp_path, make, problem):
    path = tmp_path / "examples.db"
    make(path)
    with pytest.raises(ExampleStoreError) as error:
        ExampleStore(path)
    assert str(path) in error.value.message and problem in error.value.message
    assert "state_dir" in error.value.message
    # a healthy store of a newer release is not called damaged or foreign, nor to be moved aside (session 41)
    newer = make is _newer_store
    assert newer != ("not a datasette-llm examples store" in error.value.message), error.value.message
    assert newer != ("Move it aside" in error.value.message)


def test_a_lock_held_by_another_process_is_busy_not_a_foreign_store(store):
    """A lock (or a full disk) once read "not a datasette-llm examples store ... Move it aside": moving a healthy
    store aside on that advice looked like losing every example (an outside tester, session 19)."""
    from datasette_llm.examples.store import ExampleStoreBusy

    store.add("db", "How many cats?", "select count(*) from cats", added_by="alice", schema_hash="h1")
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("begin immediate")
    try:
        with pytest.raises(ExampleStoreBusy) as raised:
            ExampleStore(store.path, busy_timeout=0.2).add(
                "db", "How many dogs?", "select count(*) from dogs", added_by="alice", schema_hash="h1"
            )
    finally:
        holder.execute("rollback")
        holder.close()
    assert raised.value.status == 503 and "Move it aside" not in raised.value.message
    assert [e.question for e in store.examples("db")] == ["How many cats?"]


def test_a_damaged_store_is_still_called_so(store):
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(b"garbage" * 1000)
    with pytest.raises(ExampleStoreError, match="is not a datasette-llm examples store"):
        ExampleStore(store.path)


def test_the_store_is_its_owners_only_in_a_state_dir_that_existed(tmp_path):
    state = tmp_path / "shared"
    state.mkdir(mode=0o755)
    store = ExampleStore(state / "examples.db")
    store.add("db", "How many cats?", "select count(*) from cats", added_by="alice", schema_hash="h1")
    for path in state.iterdir():  # examples.db and its -wal and -shm
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_ids_are_never_given_twice_so_a_stale_remove_removes_nothing(store):
    """Alice's page lists #2; Bob removes #2; a new entry got #2 and Alice's Remove removed it (an outside tester,
    session 19). Examples and feedback alike."""
    store.add("db", "How many cats?", "select count(*) from cats", added_by="alice", schema_hash="h1")
    second = store.add("db", "How many dogs?", "select count(*) from dogs", added_by="alice", schema_hash="h1")
    assert store.remove("db", second.id)
    third = store.add("db", "How many owls?", "select count(*) from owls", added_by="bob", schema_hash="h1")
    assert third.id > second.id
    assert not store.remove("db", second.id)  # the stale click
    assert [e.question for e in store.examples("db")] == ["How many cats?", "How many owls?"]
    first = store.record_feedback("db", "q1?", "select 1", "wrong", comment=None, actor="a")
    assert store.remove_feedback("db", first.id)
    again = store.record_feedback("db", "q2?", "select 2", "wrong", comment=None, actor="a")
    assert again.id > first.id and not store.remove_feedback("db", first.id)


def test_a_database_holds_so_many_examples_and_no_more(store, monkeypatch):
    """Any teacher may add examples and every question reads them all: past the cap (a count, and bytes of question
    and SQL) the store refuses a new one with 507, keeps what it has, and still answers "present" for one it has."""
    from datasette_llm.errors import StoreFull
    from datasette_llm.examples import store as store_module

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 2)
    fields = {"added_by": "alice", "schema_hash": "h1"}
    first = store.add("db", "Cats?", "select * from cats", **fields)
    store.add("db", "Dogs?", "select * from dogs", **fields)
    with pytest.raises(StoreFull) as full:
        store.add("db", "Birds?", "select * from birds", **fields)
    assert full.value.status == 507 and "remove some" in full.value.message
    assert store.get_or_add("db", "Cats?", "select * from cats", **fields) == (first, False)
    assert [e.question for e in store.examples("db")] == ["Cats?", "Dogs?"]
    store.add("other", "Birds?", "select * from birds", **fields)  # per database
    store.remove("db", first.id)
    store.add("db", "Birds?", "select * from birds", **fields)

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 100)
    monkeypatch.setattr(store_module, "MAX_EXAMPLE_BYTES_PER_DATABASE", 60)
    store.add("bytes", "Ünï?", "select 1", **fields)  # 6 + 8 bytes
    with pytest.raises(StoreFull):
        store.add("bytes", "é" * 20, "select 2", **fields)  # 40 + 8 more: 62 bytes, though 28 characters
    store.add("bytes", "e" * 20, "select 2", **fields)


def test_every_write_changes_the_generation(store):
    assert store.state("db", "h") == (0, 0, False)  # no file yet
    example = store.add("db", "q", "select 1", added_by=None, schema_hash="h")
    first, count, stale = store.state("db", "h")
    assert first > 0 and (count, stale) == (1, False)
    assert store.state("db", "other") == (first, 1, True)
    seen = {first}
    for write in (
        lambda: store.save_vectors([(example.id, b"\x00" * 4)], "m"),
        lambda: store.record_feedback("db", "q", None, "wrong", comment="no", actor=None),
        lambda: store.remove("db", example.id),
    ):
        write()
        generation = store.state("db", "h")[0]
        assert generation > 0 and generation not in seen  # a new random number: a restored copy reads as new
        seen.add(generation)
    assert ExampleStore(store.path).state("db", "h")[0] == generation  # in the file, for every process


def test_an_actor_called_cli_is_not_the_command_line(store):
    """An outside tester (session 23): a teacher whose actor id was "cli" adding the pair of an example the
    command line imported got "present", the command line's id and time, and narrowed its names."""
    imported = store.add(
        "db", "Is secret empty?", "select 1", added_by="import:x.json", schema_hash="h", names='["secret"]', cli=True
    )
    theirs, created = store.get_or_add(
        "db", "Is secret empty?", "select 1", added_by="cli", schema_hash="h", names="[]", reads="[]"
    )
    assert created and theirs.id != imported.id and theirs.author_key == 'id:"cli"'
    assert store.get("db", imported.id).names == '["secret"]' and imported.author_key == "cli"
    # The command line finds any author's example (it may read the whole store): the oldest.
    again, created = store.get_or_add("db", "Is secret empty?", "select 1", added_by="cli", schema_hash="h", cli=True)
    assert not created and again.id == imported.id


def test_its_author_adding_an_example_again_while_seeing_less_keeps_every_name_it_mentions(store):
    """Through a restricted token, or after a permission was taken away, an author sees fewer names; the text
    they wrote when they saw `secret` mentions it all the same, so its askers stay those who may see it."""
    fields = {"added_by": "ann", "schema_hash": "h", "reads": '["cats"]'}
    first = store.add("db", "Is secret like cats?", "select 1 from cats", names='["cats", "secret"]', **fields)
    again, created = store.get_or_add("db", "Is secret like cats?", "select 1 from cats", names='["cats"]', **fields)
    assert not created and again.id == first.id and again.names == '["cats", "secret"]'


@pytest.mark.parametrize("version", [1, 2])
def test_reading_an_older_store_writes_nothing_to_it_and_its_first_writer_makes_what_it_needs(tmp_path, version):
    """A read of a store from an earlier release leaves the file as it is (it may be read-only); the first write
    migrates it and makes the tables writes need (the write count, the highest ids removed)."""
    path = tmp_path / "examples.db"
    _version_1_store(path)
    if version == 2:
        with sqlite3.connect(path) as conn:
            for table in ("examples", "feedback"):
                conn.execute(f"alter table {table} add column reads text")
                conn.execute(f"alter table {table} add column names text")
            conn.execute("pragma user_version = 2")
        conn.close()

    def tables():
        with sqlite3.connect(path) as conn:
            found = {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
        conn.close()
        return found

    before = tables()
    store = ExampleStore(path)
    assert [e.id for e in store.examples("db")] == [1] and store.state("db", "h")[0] == 0
    if version == 2:
        assert tables() == before  # nothing made by reading
    store.remove("db", 1)
    store.add("db", "q", "select 1", added_by="ann", schema_hash="h")
    assert {"generation", "id_high_water"} <= tables() and store.state("db", "h")[0] > 0


def test_a_store_left_out_of_wal_mode_is_put_in_it_by_the_next_write(store):
    """WAL mode is set after the first write's commit; another connection holding the file then made that write
    answer 503 although it was stored, and left the store in rollback-journal mode for good (an outside tester,
    session 36). A failure to set it is no failure of the write, and the next write sets it."""
    store.add("db", "q1", "select 1", added_by="t", schema_hash="h")
    conn = sqlite3.connect(store.path)
    assert conn.execute("pragma journal_mode = delete").fetchone()[0] == "delete"
    conn.close()
    store.add("db", "q2", "select 2", added_by="t", schema_hash="h")
    conn = sqlite3.connect(store.path)
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert [e.question for e in store.examples("db")] == ["q1", "q2"]


@pytest.mark.parametrize("media", ["read-only", "full"])
def test_a_store_on_read_only_media_is_still_read(store, monkeypatch, media):
    """A WAL store in a directory nobody may write cannot be opened the usual way (SQLite must make its -shm file):
    the examples were not used at all (an outside tester, session 36; a read-only tmpfs, checked by hand, since
    root may write any directory). It is read from a private copy, where SQLite may make its -shm file and read the
    -wal (read in place as a file that cannot change, what the -wal held was left out: session 58)."""
    store.add("db", "q1", "select 1", added_by="t", schema_hash="h")
    urls = []
    real_connect = sqlite3.connect

    class NoShm:  # what SQLite does there: the file opens, its first read fails
        def execute(self, *args):
            raise sqlite3.OperationalError("unable to open database file")

        def close(self):
            pass

    def connect(target, *args, **kwargs):
        urls.append(str(target))
        return NoShm() if "mode=rw" in str(target) else real_connect(target, *args, **kwargs)

    monkeypatch.setattr(ExampleStore, "_on_read_only_media", lambda self: media == "read-only")
    monkeypatch.setattr(ExampleStore, "_no_space_left", lambda self: media == "full")
    monkeypatch.setattr("datasette_llm.examples.store_file.sqlite3.connect", connect)
    assert [e.question for e in store.examples("db")] == ["q1"]
    assert urls[-1] != str(store.path) and str(store.path.parent) not in urls[-1], urls
    # With no room for a copy either (the temporary directory on the full disk too), it is read in place.
    monkeypatch.setattr("datasette_llm.examples.store_file.shutil.copyfile", _no_space)
    assert [e.question for e in store.examples("db")] == ["q1"]
    assert "immutable=1" in urls[-1], urls
    monkeypatch.setattr(ExampleStore, "_on_read_only_media", lambda self: False)
    monkeypatch.setattr(ExampleStore, "_no_space_left", lambda self: False)
    with pytest.raises(ExampleStoreError):
        store.examples("db")


def _no_space(*args, **kwargs):
    raise OSError(28, "No space left on device")


def test_a_disk_with_no_byte_left_is_full_not_an_io_error(store, monkeypatch):
    """With no byte left SQLite says "disk I/O error" (it cannot make the -shm file): that was a 500 (an outside
    tester, session 36); it is a full disk, 507."""
    monkeypatch.setattr(ExampleStore, "_no_space_left", lambda self: True)
    assert isinstance(store._failure(sqlite3.OperationalError("disk I/O error")), StoreFull)
    monkeypatch.setattr(ExampleStore, "_no_space_left", lambda self: False)
    assert not isinstance(store._failure(sqlite3.OperationalError("disk I/O error")), StoreFull)


def test_a_store_linked_to_a_file_not_yet_there_is_made_private(tmp_path):
    """The store holds feedback and the SQL of hidden tables: made through a link to where it should live, it was
    0644 (an outside tester, session 40)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    state = tmp_path / "state"
    state.mkdir()
    (state / "examples.db").symlink_to(elsewhere / "examples.db")
    ExampleStore(state / "examples.db").add("db", "How many?", "select 1", added_by="alice", schema_hash="h1")
    assert stat.S_IMODE((elsewhere / "examples.db").stat().st_mode) == 0o600
    assert [e.question for e in ExampleStore(state / "examples.db").examples("db")] == ["How many?"]


@pytest.mark.parametrize("seed", range(6))
def test_many_pairs_in_one_write_are_stored_as_one_at_a_time(tmp_path, monkeypatch, seed):
    """An import stores its pairs in one transaction (get_or_add_many); each pair in its own (get_or_add) is the
    oracle: the same examples, ids, authors, names and "present" answers, set-aside ones made active again, and a
    full store stopping both at the same pair with what came before it stored."""
    import random

    from datasette_llm.examples import store as store_module

    rng = random.Random(seed)
    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", rng.choice([6, 9, 100]))
    monkeypatch.setattr(store_module, "utc_now", lambda: "2026-12-06T10:00:00+00:00")
    one, many = (ExampleStore(tmp_path / name / "examples.db") for name in ("one", "many"))
    for store in (one, many):  # the same history: some examples already there, one of them set aside
        for n in range(3):
            store.add("db", f"Q{n}?", f"select {n}", added_by=["ann", "cli", None][n], schema_hash="h0")
        store.set_checked(store.examples("db")[1].id, schema_hash="h0", status="set_aside", reason="no such column")
    items = [
        {
            "question": f" Q{rng.randrange(8)}? ",
            "sql": f"select {rng.randrange(8)}",
            "added_by": rng.choice(["ann", "bo", "cli", "import:x.json"]),
            "schema_hash": "h1",
            "reads": rng.choice([None, '["t"]']),
            "names": rng.choice([None, "[]", '["t"]', '["u"]']),
            "author": rng.choice([None, "cli"]),
        }
        for _ in range(rng.randrange(5, 15))
    ]
    cli = rng.random() < 0.5
    expected = []
    for item in items:
        fields = {key: value for key, value in item.items() if key not in ("question", "sql")}
        try:
            expected.append(one.get_or_add("db", item["question"], item["sql"], cli=cli, **fields))
        except StoreFull:
            expected.append("full")
            break
    results, full = many.get_or_add_many("db", items, cli=cli)
    assert results + (["full"] if full else []) == expected
    assert many.examples("db", include_set_aside=True) == one.examples("db", include_set_aside=True)
    assert many.state("db", "h1")[0] > 0
