"""The SQL guard applied to examples: on add (with the actor's permissions) and again when the schema changes."""

import hashlib
import shutil
import sqlite3

import pytest
import sqlite_utils
from datasette.app import Datasette
from examples_helpers import HIDE_SECRET, alter, make_database

from datasette_llm.errors import BadRequest, NotFound
from datasette_llm.examples import (
    ExampleStore,
    add_example,
    add_examples,
    check_example,
    database_schema,
    recheck,
    schema_hash,
)
from datasette_llm.examples.check import add_one, viewer_tables
from datasette_llm.sql.results import SchemaInfo


@pytest.fixture
def db_path(tmp_path):
    return make_database(tmp_path / "data" / "db.db")


@pytest.fixture
def store(tmp_path):
    return ExampleStore(tmp_path / "state" / "examples.db")


def schema_of(path) -> SchemaInfo:
    with sqlite3.connect(path) as conn:
        schema = database_schema(conn)
    conn.close()
    return schema


def test_database_schema_and_its_hash(db_path, tmp_path):
    alter(db_path, "create view old_cats as select name from cats where age > 4")
    schema = schema_of(db_path)
    assert schema.tables == {
        "cats": ("id", "name", "age"),
        "old_cats": ("name",),
        "secret": ("id", "launch_code"),
    }
    assert schema.views == {"old_cats"}
    digest = schema_hash(schema)
    assert len(digest) == 16 and digest == schema_hash(SchemaInfo(tables=dict(reversed(schema.tables.items()))))
    # Another database with the same tables and columns has the same hash; any renamed column changes it.
    twin = make_database(tmp_path / "twin" / "db.db")
    alter(twin, "create view old_cats as select name from cats where age > 4")
    assert schema_hash(schema_of(twin)) == digest
    alter(twin, "alter table cats rename column age to years")
    assert schema_hash(schema_of(twin)) != digest


def test_check_example_uses_the_guard(db_path):
    schema = schema_of(db_path)
    assert check_example("select name from cats where age > 2", schema) is None
    assert "only SELECT" in check_example("delete from cats", schema)
    assert "only one statement" in check_example("select 1; select 2", schema)
    assert check_example("select * from dogs", schema) == 'no such table "dogs"'
    assert check_example("select nam from cats", schema).startswith('no such column "nam"')
    refused = check_example("select launch_code from secret", schema, allowed_tables={"cats"})
    assert refused is not None and "secret" in refused


@pytest.mark.asyncio
async def test_add_example_stores_the_checked_sql_with_the_full_schema_hash(db_path, store):
    datasette = Datasette([str(db_path)], metadata=HIDE_SECRET)
    example = await add_example(
        datasette, "db", " How many cats? ", "select count(*) from cats", actor={"id": "alice"}, store=store
    )
    assert (example.database, example.question, example.added_by) == ("db", "How many cats?", "alice")
    # The hash is of the whole database, secret table included, whoever added the example.
    assert example.schema_hash == schema_hash(schema_of(db_path))
    assert store.examples("db") == [example]
    again = await add_example(
        datasette, "db", "How many cats?", "select count(*) from cats", actor={"id": "alice"}, store=store
    )
    assert again == example
    anyone = await add_example(datasette, "db", "How many cats?", "select count(*) from cats", actor=None, store=store)
    assert anyone.id != example.id and anyone.added_by is None  # an example is its author's
    cli = await add_example(
        datasette, "db", "Cat names", "select name from cats", actor=None, store=store, added_by="cli"
    )
    assert cli.added_by == "cli"


@pytest.mark.asyncio
async def test_a_refused_example_is_a_bad_request_with_the_guards_reason(db_path, store):
    datasette = Datasette([str(db_path)])
    for sql, reason in [
        ("drop table cats", "only SELECT"),
        ("select * from dogs", 'no such table "dogs"'),
        ("select 1; delete from cats", "only one statement"),
    ]:
        with pytest.raises(BadRequest) as refused:
            await add_example(datasette, "db", "q", sql, actor=None, store=store)
        assert reason in refused.value.message and refused.value.status == 400
    with pytest.raises(BadRequest, match="question is empty"):
        await add_example(datasette, "db", "  ", "select 1", actor=None, store=store)
    with pytest.raises(NotFound):
        await add_example(datasette, "nope", "q", "select 1", actor=None, store=store)
    assert not store.path.exists()  # nothing refused was written


@pytest.mark.asyncio
async def test_a_table_hidden_by_permissions_is_refused_as_unknown(db_path, store):
    metadata = {"databases": {"db": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}
    datasette = Datasette([str(db_path)], metadata=metadata)
    with pytest.raises(BadRequest) as hidden:
        await add_example(datasette, "db", "codes", "select launch_code from secret", actor=None, store=store)
    with pytest.raises(BadRequest) as unknown:
        await add_example(datasette, "db", "codes", "select launch_code from vault", actor=None, store=store)
    # The refusal is worded as for a table that does not exist: it does not confirm the table is there.
    assert hidden.value.message == unknown.value.message.replace("vault", "secret")
    assert "hunter2" not in hidden.value.message and "launch_code" not in hidden.value.message
    outcomes = await add_examples(
        datasette,
        "db",
        [("codes", "select launch_code from secret"), ("names", "select name from cats"), ("", "select 1")],
        actor={"id": "bob"},
        store=store,
    )
    assert [outcome.status for outcome in outcomes] == ["refused", "added", "refused"]
    assert outcomes[2].reason == "The question is empty."
    admin = await add_example(
        datasette, "db", "codes", "select launch_code from secret", actor={"id": "admin"}, store=store
    )
    assert [example.question for example in store.examples("db")] == ["names", "codes"] and admin.added_by == "admin"


@pytest.mark.asyncio
async def test_recheck_sets_aside_after_a_schema_change_and_restores_after_the_fix(db_path, tmp_path, store):
    datasette = Datasette([str(db_path)])
    ages = await add_example(datasette, "db", "Ages?", "select name, age from cats", actor=None, store=store)
    names = await add_example(datasette, "db", "Names?", "select name from cats", actor=None, store=store)
    assert await recheck(datasette, "db", store) == []  # same schema: nothing to do

    # A copy of the database (same name) where the column is renamed.
    changed = tmp_path / "changed" / "db.db"
    changed.parent.mkdir()
    shutil.copy(db_path, changed)
    alter(changed, "alter table cats rename column age to years")
    changed_datasette = Datasette([str(changed)])
    (aside,) = await recheck(changed_datasette, "db", store)
    assert (aside.id, aside.status) == (ages.id, "set_aside")
    assert aside.reason.startswith('no such column "age"')
    assert store.examples("db") == [store.get("db", names.id)]
    assert store.get("db", names.id).schema_hash == schema_hash(schema_of(changed)) != names.schema_hash
    assert await recheck(changed_datasette, "db", store) == []  # already set aside: not reported again

    # Dropping the column in another copy keeps it set aside (and does not report it again).
    dropped = tmp_path / "dropped" / "db.db"
    dropped.parent.mkdir()
    shutil.copy(db_path, dropped)
    alter(dropped, "alter table cats drop column age")
    assert await recheck(Datasette([str(dropped)]), "db", store) == []
    assert store.get("db", ages.id).status == "set_aside"

    # The original schema again: the example validates and is active once more.
    assert await recheck(Datasette([str(db_path)]), "db", store) == []
    assert store.examples("db") == [
        store.get("db", ages.id),
        store.get("db", names.id),
    ]
    assert store.get("db", ages.id).reason is None


@pytest.mark.asyncio
async def test_an_immutable_database_works_and_is_not_written(db_path, store):
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    datasette = Datasette(immutables=[str(db_path)], metadata=HIDE_SECRET)
    example = await add_example(datasette, "db", "How many cats?", "select count(*) from cats", actor=None, store=store)
    with pytest.raises(BadRequest, match='no such table "secret"'):
        await add_example(datasette, "db", "codes", "select launch_code from secret", actor=None, store=store)
    store.set_checked(example.id, schema_hash="stale", status="active", reason=None)
    assert await recheck(datasette, "db", store) == []
    assert store.get("db", example.id).schema_hash == example.schema_hash
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert sorted(path.name for path in db_path.parent.iterdir()) == ["db.db"]


@pytest.mark.asyncio
async def test_add_one_tells_added_from_present(db_path, store):
    datasette = Datasette([str(db_path)])
    first = await add_one(datasette, "db", "Cats?", "select name from cats", actor={"id": "ann"}, store=store)
    again = await add_one(datasette, "db", "Cats?", "select name from cats", actor={"id": "ann"}, store=store)
    assert (first.status, again.status) == ("added", "present") and first.example == again.example
    other = await add_one(datasette, "db", "Cats?", "select name from cats", actor={"id": "bo"}, store=store)
    assert other.status == "added" and other.example.added_by == "bo"  # an example is its author's
    with pytest.raises(BadRequest, match='refused: no such table "dogs"') as refused:
        await add_one(datasette, "db", "Dogs?", "select * from dogs", actor=None, store=store)
    assert refused.value.details["reason"] == 'no such table "dogs"'


@pytest.mark.asyncio
async def test_viewer_tables_are_those_an_actor_may_and_may_not_see(db_path):
    alter(db_path, "create view codes as select launch_code from secret", "create view old as select * from cats")
    metadata = {"databases": {"db": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}
    datasette = Datasette([str(db_path)], metadata=metadata)
    # The view that reads `secret` is hidden with it (the read policy would refuse it anyway).
    anyone = await viewer_tables(datasette, None, "db")
    assert anyone.hidden == {"secret", "codes"} and {"cats", "old"} <= anyone.visible and not anyone.sees_all
    assert not anyone.visible & anyone.hidden
    admin = await viewer_tables(datasette, {"id": "admin"}, "db")
    assert admin.hidden == frozenset() and {"secret", "codes", "cats", "old"} <= admin.visible and admin.sees_all
    # SQLite's own and FTS shadow tables are hidden from everyone: they do not make admin see less than all.
    alter(db_path, "create table counted (id integer primary key autoincrement)", "insert into counted default values")
    sqlite_utils.Database(db_path)["cats"].enable_fts(["name"])
    admin = await viewer_tables(datasette, {"id": "admin"}, "db")
    assert {"sqlite_sequence", "cats_fts_data"} <= admin.hidden and admin.sees_all
    assert not (await viewer_tables(datasette, None, "db")).sees_all
