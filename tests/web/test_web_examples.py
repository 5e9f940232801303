"""Teaching Ask over HTTP (issue 17, parts 4 and 5): the trusted examples JSON endpoints, the feedback endpoint,
the examples page and its forms, and the llm-teach permission on Datasette 0.65 and 1.0.

Actors: anonymous (may view, may not ask), `asker` (may ask, may not teach), `teacher` (may ask and teach),
`admin` (teaches too, and alone sees the `secret` table). Everything runs in-process; on 1.0 conftest.py moves
`permissions` blocks from metadata to config (tests/datasette_versions.py).
"""

import json
import re
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1, metadata_to_config, only_datasette_065, only_datasette_1
from examples_helpers import make_database, signed_in

from datasette_llm import permissions
from datasette_llm.config import load_settings
from datasette_llm.errors import ConfigError

SECRET = "examples-web-secret"
ADMIN, TEACHER, ASKER = {"id": "admin"}, {"id": "teacher"}, {"id": "asker"}
TEACHERS = {"id": ["teacher", "admin"]}
# Only admin sees `secret`; asker and teacher may ask, anonymous may not; teacher and admin may teach.
METADATA = {
    "databases": {
        "db": {"tables": {"secret": {"allow": ADMIN}}},
        "private": {"allow": ADMIN},
    },
    "plugins": {"datasette-llm": {"warm_up": False, "allow_ask": {"id": ["asker", "teacher", "admin"]}}},
}
CATS = {"question": "How many cats are there?", "sql": "select count(*) from cats"}


@pytest.fixture
def paths(tmp_path):
    """db.db (cats, and `secret`, which only admin sees) and private.db (which only admin may view)."""
    private = tmp_path / "private.db"
    with sqlite3.connect(private) as conn:
        conn.execute("create table payroll (id integer primary key, salary integer)")
    conn.close()
    return make_database(tmp_path / "db.db"), private


def make_ds(paths, *, allow_teach=TEACHERS, metadata=None, **kwargs):
    metadata = json.loads(json.dumps(metadata or METADATA))
    if allow_teach is not None:
        metadata["plugins"]["datasette-llm"]["allow_teach"] = allow_teach
    return Datasette([str(p) for p in paths], metadata=metadata, secret=SECRET, **kwargs)


def form_of(ds, actor, fields=None):
    """A url-encoded form as the examples page sends it: the csrftoken field, and Sec-Fetch-Site on 1.0."""
    token = ds.sign("token", "csrftoken")
    headers = {"sec-fetch-site": "same-origin"} if DATASETTE_1 else {}
    return {
        "data": {"csrftoken": token, **(fields or {})},
        "cookies": {"ds_actor": ds.sign({"a": actor}, "actor"), "ds_csrftoken": token},
        "headers": headers,
    }


async def add(ds, actor, pair=CATS):
    return await ds.client.post("/-/llm/db/examples", json=pair, **signed_in(ds, actor))


async def feedback(ds, actor, **fields):
    body = {"question": CATS["question"], "sql": CATS["sql"], "verdict": "wrong", **fields}
    return await ds.client.post("/-/llm/db/feedback", json=body, **signed_in(ds, actor))


async def listing(ds, actor=TEACHER):
    """examples.json with the feedback of every page (newest first), following `feedback_before`."""
    response = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, actor))
    assert response.status_code == 200, response.text
    data = response.json()
    before = data.pop("feedback_before")
    while before is not None:
        page = await ds.client.get(f"/-/llm/db/examples.json?feedback_before={before}", **signed_in(ds, actor))
        assert page.status_code == 200, page.text
        assert page.json()["feedback"][0]["id"] < data["feedback"][-1]["id"]
        data["feedback"] += page.json()["feedback"]
        before = page.json()["feedback_before"]
    assert len(data["feedback"]) == data["feedback_count"]
    return data


# -- the permission matrix --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_who_may_do_what(paths):
    ds = make_ds(paths)
    example_id = (await add(ds, TEACHER)).json()["example"]["id"]
    feedback_id = (await feedback(ds, TEACHER)).json()["feedback"]["id"]
    expected = {
        # actor: (list, page, add, feedback wrong, feedback right, remove example, remove feedback)
        "anonymous": (403, 403, 403, 403, 403, 403, 403),
        "asker": (403, 403, 403, 201, 403, 403, 403),
        "teacher": (200, 200, 200, 201, 201, 200, 200),
    }
    for name, actor in (("anonymous", None), ("asker", ASKER), ("teacher", TEACHER)):
        auth = signed_in(ds, actor)
        statuses = (
            (await ds.client.get("/-/llm/db/examples.json", **auth)).status_code,
            (await ds.client.get("/-/llm/db/examples", **auth)).status_code,
            (await ds.client.post("/-/llm/db/examples", json=CATS, **auth)).status_code,
            (await feedback(ds, actor, comment=f"from {name}")).status_code,
            (await feedback(ds, actor, verdict="right")).status_code,
            (await ds.client.post(f"/-/llm/db/examples/{example_id}/remove", json={}, **auth)).status_code,
            (await ds.client.post(f"/-/llm/db/feedback/{feedback_id}/remove", json={}, **auth)).status_code,
        )
        assert statuses == expected[name], name
    refused = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, ASKER))
    assert refused.json()["code"] == "forbidden" and "llm-teach" in refused.json()["error"]
    # Feedback is recorded with the actor's id (the first, removed at the end, is gone); the teacher's last
    # step removed the one example. Newest first.
    data = await listing(ds)
    assert [(f["actor"], f["verdict"], f["comment"]) for f in data["feedback"]] == [
        ("teacher", "right", None),
        ("teacher", "wrong", "from teacher"),
        ("asker", "wrong", "from asker"),
    ]
    assert data["examples"] == []


@pytest.mark.asyncio
async def test_nobody_may_teach_without_a_rule(paths):
    """Unlike llm-ask, llm-teach has no fallback: with no allow_teach (and no 1.0 permissions block) nobody may
    teach, not even an actor who may run SQL and ask."""
    ds = make_ds(paths, allow_teach=None)
    for actor in (None, ASKER, TEACHER, ADMIN):
        assert not await permissions.can_teach(ds, actor, "db")
        assert (await add(ds, actor)).status_code == 403
    assert (await feedback(ds, ADMIN)).status_code == 201
    assert (await feedback(ds, ADMIN, verdict="right")).status_code == 403


@pytest.mark.asyncio
async def test_allow_teach_per_database_replaces_the_instance_setting(paths):
    metadata = json.loads(json.dumps(METADATA))
    metadata["databases"]["db"]["plugins"] = {"datasette-llm": {"allow_teach": {"id": "asker"}}}
    ds = make_ds(paths, metadata=metadata, allow_teach=TEACHERS)
    assert await permissions.can_teach(ds, ASKER, "db")
    assert not await permissions.can_teach(ds, TEACHER, "db")  # the database's own block decides
    assert await permissions.can_teach(ds, ADMIN, "private")  # the instance's block, where none of its own
    assert not await permissions.can_teach(ds, TEACHER, "private")  # may not even view it
    assert (await add(ds, ASKER)).status_code == 201
    assert (await add(ds, TEACHER)).status_code == 403
    with_all = make_ds(paths, allow_teach=True)
    assert await permissions.can_teach(with_all, None, "db")
    assert not await permissions.can_teach(with_all, None, "private")  # llm-teach never opens a hidden database


def test_allow_teach_must_be_an_allow_block():
    assert load_settings({"allow_teach": {"id": ["alice"]}}).allow_teach == {"id": ["alice"]}
    assert load_settings({}).allow_teach is None
    with pytest.raises(ConfigError, match="allow block"):
        load_settings({"allow_teach": "alice"})


@only_datasette_065
@pytest.mark.asyncio
async def test_allow_teach_is_the_permission_allowed_verdict_on_065(paths):
    ds = make_ds(paths)
    assert await ds.permission_allowed(TEACHER, "llm-teach", "db") is True
    assert await ds.permission_allowed(ASKER, "llm-teach", "db") is False
    assert await ds.permission_allowed(ASKER, "llm-teach", "db", default=None) is False
    assert await make_ds(paths, allow_teach=None).permission_allowed(TEACHER, "llm-teach", "db", default=None) is None


@only_datasette_1
@pytest.mark.asyncio
async def test_permissions_block_grants_llm_teach_on_datasette1(paths):
    """Datasette 1.0: llm-teach is a registered action, granted by a `permissions: llm-teach:` block in
    datasette.yaml; allow_teach becomes rules Datasette's own allowed() knows; root gets it as root gets all."""
    from datasette.resources import DatabaseResource

    metadata = json.loads(json.dumps(METADATA))
    metadata["databases"]["db"]["permissions"] = {"llm-teach": {"id": "asker"}}
    metadata, config = metadata_to_config(metadata, None)
    assert config["databases"]["db"]["permissions"] == {"llm-teach": {"id": "asker"}}
    ds = Datasette([str(p) for p in paths], metadata=metadata, config=config, secret=SECRET)
    await ds.invoke_startup()
    action = ds.actions[permissions.LLM_TEACH]
    assert action.resource_class is DatabaseResource
    assert await permissions.can_teach(ds, ASKER, "db")
    assert not await permissions.can_teach(ds, TEACHER, "db")
    assert (await add(ds, ASKER)).status_code == 201
    assert (await add(ds, TEACHER)).status_code == 403
    # allow_teach as rules: allowed() agrees with can_teach.
    ruled = make_ds(paths)
    await ruled.invoke_startup()
    assert await ruled.allowed(action="llm-teach", resource=DatabaseResource("db"), actor=TEACHER)
    assert not await ruled.allowed(action="llm-teach", resource=DatabaseResource("db"), actor=ASKER)
    # The root actor (datasette --root) gets llm-teach with no rule at all.
    rooted = make_ds(paths, allow_teach=None)
    rooted.root_enabled = True
    await rooted.invoke_startup()
    assert await permissions.can_teach(rooted, {"id": "root"}, "db")
    assert not await permissions.can_teach(rooted, TEACHER, "db")


# -- adding and listing examples --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_add_example_statuses(paths):
    ds = make_ds(paths)
    created = await add(ds, TEACHER)
    assert created.status_code == 201 and created.json()["status"] == "added"
    example = created.json()["example"]
    assert example["question"] == CATS["question"] and example["added_by"] == "teacher"
    again = await add(ds, TEACHER, {"question": f"  {CATS['question']} ", "sql": CATS["sql"]})
    assert again.status_code == 200 and again.json()["status"] == "present"
    assert again.json()["example"]["id"] == example["id"]
    # A table the teacher may not see is refused with the guard's words, as a missing one is.
    hidden = await add(ds, TEACHER, {"question": "The codes?", "sql": "select launch_code from secret"})
    assert hidden.status_code == 400 and hidden.json()["reason"] == 'no such table "secret"'
    missing = await add(ds, TEACHER, {"question": "Dogs?", "sql": "select * from dogs"})
    assert missing.status_code == 400 and missing.json()["reason"] == 'no such table "dogs"'
    writes = await add(ds, TEACHER, {"question": "Drop?", "sql": "delete from cats"})
    assert writes.status_code == 400 and "only SELECT" in writes.json()["error"]
    # Admin may see secret, so the same example is theirs to add.
    assert (
        await add(ds, ADMIN, {"question": "The codes?", "sql": "select launch_code from secret"})
    ).status_code == 201


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"sql": "select 1"}', "'question' is missing"),
        (b'{"question": "Q", "sql": "   "}', "'sql' is missing"),
        (b'{"question": 7, "sql": "select 1"}', "must be text"),
        (b'{"question": "\\ud800", "sql": "select 1"}', "lone surrogate"),
        (json.dumps({"question": "q" * 2001, "sql": "select 1"}).encode(), "the most is 2,000"),
        (b'{"question": "a\\u0000b", "sql": "select 1"}', "question contains a NUL character"),
    ],
)
@pytest.mark.asyncio
async def test_add_example_bad_bodies_are_400(paths, body, fragment):
    ds = make_ds(paths)
    auth = signed_in(ds, TEACHER)
    auth["headers"]["content-type"] = "application/json"
    response = await ds.client.post("/-/llm/db/examples", content=body, **auth)
    assert response.status_code == 400 and fragment in response.json()["error"], response.text
    assert (await listing(ds))["examples"] == []


@pytest.mark.asyncio
async def test_methods_sizes_types_and_unknown_things(paths):
    ds = make_ds(paths)
    auth = signed_in(ds, TEACHER)
    example_id = (await add(ds, TEACHER)).json()["example"]["id"]
    # 405 with Allow, as JSON.
    for method, path, allow in (
        ("GET", f"/-/llm/db/examples/{example_id}/remove", "POST"),
        ("GET", "/-/llm/db/feedback", "POST"),
        ("GET", "/-/llm/db/feedback/1/remove", "POST"),
        ("POST", "/-/llm/db/examples.json", "GET"),
        ("PUT", "/-/llm/db/examples", "GET, POST"),
        ("DELETE", f"/-/llm/db/examples/{example_id}/remove", "POST"),
    ):
        response = await ds.client.request(method, path, **auth)
        assert response.status_code == 405 and response.headers["allow"] == allow, (method, path)
        assert response.json()["code"] == "method_not_allowed"
    # 413 past 256 KB, before anything parses it; 415 for a body type a page on another site can send freely.
    big = {"question": "Q", "sql": "select 1 -- " + "x" * 300_000}
    assert (await ds.client.post("/-/llm/db/examples", json=big, **auth)).status_code == 413
    assert (await ds.client.post("/-/llm/db/feedback", json=big, **auth)).status_code == 413
    plain = await ds.client.post("/-/llm/db/examples", content=b"hello", headers={"content-type": "text/plain"})
    assert plain.status_code == 415 and "application/json" in plain.json()["error"]
    # 404: a database that does not exist and one the actor may not view get the same answer.
    missing = await ds.client.post("/-/llm/nope/examples", json=CATS, **auth)
    hidden = await ds.client.post("/-/llm/private/examples", json=CATS, **auth)
    assert missing.status_code == hidden.status_code == 404
    assert hidden.json()["error"] == "Database 'private' does not exist. Databases: db."
    assert missing.json()["databases"] == hidden.json()["databases"] == ["db"]
    assert (await ds.client.get("/-/llm/private/examples.json", **auth)).status_code == 404
    assert (
        await ds.client.post("/-/llm/private/feedback", json={**CATS, "verdict": "wrong"}, **auth)
    ).status_code == 404
    # 404: ids that are not there, or not ids at all.
    for path in ("/-/llm/db/examples/999/remove", "/-/llm/db/examples/abc/remove", "/-/llm/db/feedback/1/remove"):
        response = await ds.client.post(path, json={}, **auth)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
    assert (await ds.client.post(f"/-/llm/db/examples/{example_id}/remove", json={}, **auth)).status_code == 200
    gone = await ds.client.post(f"/-/llm/db/examples/{example_id}/remove", json={}, **auth)
    assert gone.status_code == 404 and gone.json()["error"] == f"There is no example #{example_id} in 'db'."


@pytest.mark.asyncio
async def test_listing_rechecks_and_shows_set_aside_examples(paths):
    db_path, _ = paths
    ds = make_ds(paths)
    assert (await add(ds, TEACHER, {"question": "Ages?", "sql": "select name, age from cats"})).status_code == 201
    assert (await add(ds, TEACHER)).status_code == 201
    with sqlite3.connect(db_path) as conn:
        conn.execute("alter table cats rename column age to years")
    conn.close()
    data = await listing(ds)
    assert [e["question"] for e in data["examples"]] == [CATS["question"]]
    (aside,) = data["set_aside"]
    assert aside["question"] == "Ages?" and aside["status"] == "set_aside" and "age" in aside["reason"]
    page = await ds.client.get("/-/llm/db/examples", **signed_in(ds, TEACHER))
    assert "Set aside (1)" in page.text and "Ages?" in page.text


@pytest.mark.asyncio
async def test_a_listing_shows_each_example_as_the_schema_it_read_judges_it(paths, monkeypatch):
    """A re-check in another process, begun under a schema that has changed since, may write its outcomes after
    the listing's own re-check: the listing showed them (an outside tester, session 44: from two servers and the
    command line while a column came and went, 60 of 60 examples that no longer validate listed as active)."""
    import asyncio

    from click.testing import CliRunner

    import datasette_llm.web.examples as web_examples
    from datasette_llm.cli import llm
    from datasette_llm.config import settings_for
    from datasette_llm.examples import ExampleStore, check

    ds = make_ds(paths)
    assert (await add(ds, TEACHER)).status_code == 201
    store = ExampleStore.for_settings(settings_for(ds))
    real = check.recheck

    async def then_another_process_writes(datasette, database, store_, schema=None):
        set_aside = await real(datasette, database, store_, schema)
        ids = [example.id for example in store.examples(database, include_set_aside=True)]
        store.set_checked_many([(i, "set_aside", 'no such table "cats"') for i in ids], schema_hash="another")
        return set_aside

    monkeypatch.setattr(check, "recheck", then_another_process_writes)
    monkeypatch.setattr(web_examples, "recheck", then_another_process_writes)
    data = await listing(ds)
    assert [e["question"] for e in data["examples"]] == [CATS["question"]] and data["set_aside"] == []
    for command in (["list", "--json"], ["export"]):
        result = await asyncio.to_thread(CliRunner().invoke, llm, ["examples", *command, str(paths[0])])
        assert result.exit_code == 0, result.output
        assert [e["question"] for e in json.loads(result.stdout)] == [CATS["question"]], command


@pytest.mark.asyncio
async def test_a_listing_never_shows_half_of_a_right(paths):
    """A "This is right" stores its feedback and its example in one transaction; a listing reads both in one
    too (read one after the other, 94 of 1,113 listings showed the feedback without the example: an outside
    tester, session 44)."""
    import threading

    from datasette_llm.config import settings_for
    from datasette_llm.examples import ExampleStore
    from datasette_llm.examples.check import schema_hash

    ds = make_ds(paths)
    assert (await add(ds, TEACHER)).status_code == 201  # the store exists, and the schema's hash with it
    store = ExampleStore.for_settings(settings_for(ds))
    current = store.examples("db")[0].schema_hash
    assert current == schema_hash(await ds.get_database("db").execute_fn(check_schema))
    done = threading.Event()

    def rights():
        for n in range(150):
            question = f"How many cats are older than {n}?"
            store.record_right(
                "db",
                question,
                f"select count(*) from cats where age > {n}",
                comment=None,
                actor="teacher",
                reads='["cats"]',
                names='["age", "cats"]',
                example={
                    "question": question,
                    "sql": f"select count(*) from cats where age > {n}",
                    "added_by": "teacher",
                    "schema_hash": current,
                    "reads": '["cats"]',
                    "names": '["age", "cats"]',
                    "author": 'id:"teacher"',
                },
            )
        done.set()

    writer = threading.Thread(target=rights)
    writer.start()
    listings = torn = 0
    while not done.is_set() or listings == 0:
        data = await listing(ds)
        listed = {e["question"] for e in data["examples"]}
        torn += any(f["question"] not in listed for f in data["feedback"] if f["verdict"] == "right")
        listings += 1
    writer.join()
    assert listings > 5 and torn == 0, (listings, torn)


def check_schema(conn):
    from datasette_llm.examples.check import database_schema

    return database_schema(conn)


@pytest.mark.asyncio
async def test_requests_at_once_after_a_schema_change_recheck_the_examples_once(paths, monkeypatch):
    """Ten requests at once after one schema change re-checked every example ten times (1,500 examples: 27-29 s
    each, and 503s from the guard's queue; an outside tester, session 18): they now share one re-check."""
    import asyncio

    from datasette_llm.examples import check

    db_path, _ = paths
    ds = make_ds(paths)
    for n in range(5):
        pair = {"question": f"Cats older than {n}?", "sql": f"select name from cats where age > {n}"}
        assert (await add(ds, TEACHER, pair)).status_code == 201
    with sqlite3.connect(db_path) as conn:
        conn.execute("create table dogs (id integer primary key)")
    conn.close()
    checks = []
    real = check.check_select_off_loop

    async def counted(sql, schema, **kwargs):
        if not kwargs:  # a re-check (additions pass allowed_tables)
            checks.append(sql)
            await asyncio.sleep(0.05)  # long enough for the other requests to arrive meanwhile
        return await real(sql, schema, **kwargs)

    monkeypatch.setattr(check, "check_select_off_loop", counted)
    auth = signed_in(ds, TEACHER)
    responses = await asyncio.gather(*(ds.client.get("/-/llm/db/examples.json", **auth) for _ in range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    assert sorted(checks) == sorted(f"select name from cats where age > {n}" for n in range(5))


@pytest.mark.asyncio
async def test_the_examples_page_answers_503_when_the_guard_is_busy(paths, monkeypatch):
    """The JSON listing answered 503 when the guard's queue was full, the page a 500 with a traceback (an outside
    tester, session 18)."""
    from datasette_llm.examples import check
    from datasette_llm.sql.guard_worker import BUSY, GuardBusy

    db_path, _ = paths
    ds = make_ds(paths)
    assert (await add(ds, TEACHER)).status_code == 201
    with sqlite3.connect(db_path) as conn:
        conn.execute("create table dogs (id integer primary key)")  # the examples are checked again
    conn.close()

    async def busy(*args, **kwargs):
        raise GuardBusy(BUSY)

    monkeypatch.setattr(check, "check_select_off_loop", busy)
    page = await ds.client.get("/-/llm/db/examples", **signed_in(ds, TEACHER))
    assert page.status_code == 503 and "too busy" in page.text and "Traceback" not in page.text
    listed = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))
    assert listed.status_code == 503 and listed.json()["code"] == "guard_busy"


@pytest.mark.asyncio
async def test_listing_leaves_out_what_names_a_hidden_table(paths):
    """Admin's example and feedback about `secret` never reach the teacher, who may not see that table."""
    ds = make_ds(paths)
    secret = {"question": "The codes?", "sql": 'select launch_code from "secret"'}
    secret_id = (await add(ds, ADMIN, secret)).json()["example"]["id"]
    feedback_id = (await feedback(ds, ADMIN, **secret)).json()["feedback"]["id"]
    assert (await add(ds, TEACHER)).status_code == 201
    data = await listing(ds, TEACHER)
    assert [e["question"] for e in data["examples"]] == [CATS["question"]] and data["feedback"] == []
    assert data["not_shown"] == {"examples": 1, "feedback": 1}
    assert "hunter2" not in json.dumps(data) and "launch_code" not in json.dumps(data)
    page = await ds.client.get("/-/llm/db/examples", **signed_in(ds, TEACHER))
    assert "launch_code" not in page.text and "reads a table you may not see" in page.text
    # Nor may the teacher remove them: the same 404 as an id that does not exist.
    auth = signed_in(ds, TEACHER)
    assert (await ds.client.post(f"/-/llm/db/examples/{secret_id}/remove", json={}, **auth)).status_code == 404
    assert (await ds.client.post(f"/-/llm/db/feedback/{feedback_id}/remove", json={}, **auth)).status_code == 404
    admin = await listing(ds, ADMIN)
    assert len(admin["examples"]) == 2 and len(admin["feedback"]) == 1
    assert admin["not_shown"] == {"examples": 0, "feedback": 0}


@pytest.mark.asyncio
@pytest.mark.parametrize("what", ["examples", "feedback"])
async def test_a_remove_that_finds_the_entry_gone_says_so(paths, monkeypatch, what):
    """Twenty removes of one entry at once all answered "removed" (an outside tester, session 36): a remove whose
    entry another took away between its read and its delete is a 404, as for any entry not there."""
    from datasette_llm.examples.store import ExampleStore

    ds = make_ds(paths)
    if what == "examples":
        entry_id = (await add(ds, TEACHER)).json()["example"]["id"]
    else:
        entry_id = (await feedback(ds, TEACHER)).json()["feedback"]["id"]
    method = "remove" if what == "examples" else "remove_feedback"
    original = getattr(ExampleStore, method)

    def removed_meanwhile(self, database, row_id):
        original(self, database, row_id)  # another teacher's remove, just before this one's
        return original(self, database, row_id)

    monkeypatch.setattr(ExampleStore, method, removed_meanwhile)
    response = await ds.client.post(f"/-/llm/db/{what}/{entry_id}/remove", json={}, **signed_in(ds, TEACHER))
    assert response.status_code == 404 and f"#{entry_id}" in response.json()["error"]


@pytest.mark.asyncio
async def test_a_table_hidden_in_the_configuration_and_denied_is_still_hidden_from_the_teacher(paths):
    """No Ask surface reads a table hidden in the configuration (`hidden: true`), so an admin's feedback over one
    is refused SQL, shown only to those who may see every table. A teacher denied only such tables once counted as
    seeing all and was shown it, SQL and comment (an outside tester, session 36)."""
    ds = make_ds(paths)
    root = ds.config if DATASETTE_1 else ds._metadata_local
    root["databases"]["db"]["tables"]["secret"]["hidden"] = True
    if DATASETTE_1:
        root["databases"]["db"]["tables"]["secret"]["allow"] = ADMIN
    secret = {"question": "The codes?", "sql": "select launch_code from secret", "comment": "hunter2 is listed"}
    assert (await feedback(ds, ADMIN, **secret)).status_code == 201
    assert (await feedback(ds, TEACHER, question="How many cats?", sql="select count(*) from cats")).status_code == 201
    assert not await permissions.can_view_table(ds, TEACHER, "db", "secret")
    data = await listing(ds, TEACHER)
    assert [f["question"] for f in data["feedback"]] == ["How many cats?"]
    assert data["not_shown"] == {"examples": 0, "feedback": 1}
    page = await ds.client.get("/-/llm/db/examples", **signed_in(ds, TEACHER))
    assert "hunter2" not in json.dumps(data) + page.text and "launch_code" not in page.text
    admin = await listing(ds, ADMIN)
    assert len(admin["feedback"]) == 2 and admin["not_shown"] == {"examples": 0, "feedback": 0}


# Statements naming `secret` (hidden from the teacher and the asker) in every place a name can stand, each with
# the name written in every form SQLite reads; the oracle below sends each as written and with the name swapped
# for one of the same length that exists nowhere.
SHAPES = [
    "select * from {t}",
    "select launch_code from {t}",
    "select count(*) from cats join {t} on {t}.id = cats.id",
    "select name from cats natural join {t}",
    "select name from cats join {t} using (id)",
    "select name from cats where id in (select id from {t})",
    "select name from cats where id in {t}",
    "select * from {t} indexed by sqlite_autoindex_{t}_1",
    "with {t} as (select * from cats) select name from {t}",
    "select name as {t} from cats",
    "select name from cats -- {t}",
    "select * from pragma_table_info('{t}')",
    "select * from json_each((select json_group_array(id) from {t}))",
    "select * from sqlite_master where name = '{t}'",
    "pragma table_info({t})",
    "delete from {t}",
    "select {t} from cats",
    "{t}",
]
FORMS = ["{n}", '"{n}"', "[{n}]", "`{n}`", "main.{n}", "{N}"]  # {N}: upper case
NAMED = [shape.replace("{t}", form) for shape in SHAPES for form in FORMS]


def written(template: str, name: str) -> str:
    return template.replace("{n}", name).replace("{N}", name.upper())


def swapped(data, real: str, fake: str):
    """The listing with every id, time and the made-up name put back to the hidden one, to compare."""
    text = json.dumps(data).replace(fake, real).replace(fake.upper(), real.upper())
    text = re.sub(r'"(id|created_at|added_at)": ("[^"]*"|\d+)', r'"\1": 0', text)
    return json.loads(text)


@pytest.mark.asyncio
@pytest.mark.parametrize("writer", ["asker", "teacher"])
async def test_writing_and_listing_cannot_tell_a_hidden_table_from_a_missing_one(paths, tmp_path, monkeypatch, writer):
    """The differential oracle: the same feedback (and, from a teacher, examples and "right" feedback) written
    with the hidden table's name and with a name that exists nowhere, by an actor who may not see it, reads back
    the same to a teacher who may not see it either: every response, the listing, the page, the not_shown counts
    and which entries they may remove."""
    from datasette_llm.web import feedback as web_feedback

    monkeypatch.setattr(web_feedback, "FEEDBACK_PER_CLIENT", 1000)  # every write counts, none is a timed 429
    outcomes = {}
    for name in ("secret", "sekrit"):
        monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(tmp_path / f"state-{name}"))
        ds = make_ds(paths)
        actor = {"id": writer}
        responses, labels = [], []
        for template in NAMED:
            sql = written(template, name)
            responses.append(await feedback(ds, actor, sql=sql, comment="c"))
            if writer == "teacher":
                responses.append(await add(ds, actor, {"question": "Which?", "sql": sql}))
                responses.append(await feedback(ds, actor, sql=sql, verdict="right", question="Right?"))
            labels += [template] * (len(responses) - len(labels))
        data = await listing(ds, TEACHER)
        everything = await listing(ds, ADMIN)
        assert len(everything["feedback"]) == sum(r.status_code == 201 for r in responses if "feedback" in r.json())
        page = await ds.client.get("/-/llm/db/examples", **signed_in(ds, TEACHER))
        page_text = "\n".join(line for line in page.text.splitlines() if "csrftoken" not in line)  # 1.0: per page
        page_text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "(when)", page_text)  # the runs may straddle a minute
        auth = signed_in(ds, TEACHER)
        removed = [
            (await ds.client.post(f"/-/llm/db/{kind}/{n}/remove", json={}, **auth)).status_code
            for kind in ("feedback", "examples")
            for n in range(1, 2 * len(NAMED) + 1)
        ]
        outcomes[name] = (
            [(r.status_code, swapped(r.json(), "secret", name)) for r in responses],
            swapped(data, "secret", name),
            removed,
            page_text.replace(name, "secret").replace(name.upper(), "SECRET"),
            labels,
        )
    assert len(outcomes["secret"][0]) == len(outcomes["sekrit"][0])
    for hidden, missing, template in zip(outcomes["secret"][0], outcomes["sekrit"][0], outcomes["secret"][4]):
        assert hidden == missing, template
    assert outcomes["secret"][1] == outcomes["sekrit"][1]
    assert outcomes["secret"][2] == outcomes["sekrit"][2]
    assert outcomes["secret"][3] == outcomes["sekrit"][3]
    assert "hunter2" not in json.dumps(outcomes["secret"])


@pytest.mark.asyncio
async def test_text_that_names_what_the_viewer_may_not_see_is_not_listed_to_them(paths):
    """Admin's entries mention `secret` or its column `launch_code` in a question, an alias or a comment; the
    teacher, who may see neither, is not shown them. The teacher's own entries with the same words are shown:
    names their author may not see are not kept, so they say nothing about what exists."""
    ds = make_ds(paths)
    for actor in (ADMIN, TEACHER):
        assert (await add(ds, actor, {"question": "Ages?", "sql": "select age as launch_code from cats"})).status_code
        assert (await feedback(ds, actor, question="Is secret empty?", comment="c")).status_code == 201
        assert (await feedback(ds, actor, sql="select name from cats", comment="see launch_code")).status_code == 201
    data = await listing(ds, TEACHER)
    assert data["not_shown"] == {"examples": 1, "feedback": 2}
    assert {item["actor"] for item in data["feedback"]} == {"teacher"} and len(data["feedback"]) == 2
    assert [e["added_by"] for e in data["examples"]] == ["teacher"]
    assert len((await listing(ds, ADMIN))["feedback"]) == 4


@pytest.mark.asyncio
async def test_adding_the_pair_of_an_example_one_may_not_see_tells_nothing_of_it(paths, tmp_path, monkeypatch):
    """An outside tester (session 22): a teacher adding the very question and SQL of an admin's example that
    mentions the hidden table got 200 "present" with the admin's id, name and time, where a pair nobody had
    added got 201; and the admin's example then kept only the names both saw, so askers who may not see
    `secret` got it. Now the teacher's answer is the same either way, and the admin's example keeps its names."""
    pair = {"question": "Is secret empty, by ages?", "sql": "select age as launch_code from cats"}
    fresh = {"question": "Is secret full, by ages?", "sql": "select age as launch_code from cats"}
    answers = []
    for admin_first in (True, False):
        monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(tmp_path / f"state-{admin_first}"))
        ds = make_ds(paths)
        if admin_first:
            assert (await add(ds, ADMIN, pair)).status_code == 201
        answers.append(await add(ds, TEACHER, pair if admin_first else fresh))
    assert [a.status_code for a in answers] == [201, 201]
    assert [(a.json()["status"], a.json()["example"]["added_by"]) for a in answers] == [("added", "teacher")] * 2
    monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(tmp_path / "state-True"))
    admins = [e for e in (await listing(make_ds(paths), ADMIN))["examples"] if e["added_by"] == "admin"]
    assert len(admins) == 1 and (await listing(make_ds(paths), TEACHER))["not_shown"]["examples"] == 1


@pytest.mark.asyncio
async def test_an_examples_comments_are_dropped_so_they_reach_no_prompt(paths):
    """Admin's comment naming the hidden table is not kept: it would reach every prompt the example is in."""
    ds = make_ds(paths)
    sql = "select count(*) from cats -- secret holds hunter2\n/* launch_code */ where age > 1"
    example = (await add(ds, ADMIN, {"question": "Old cats?", "sql": sql})).json()["example"]
    assert example["sql"] == "select count(*) from cats  \n  where age > 1"
    data = await listing(ds, TEACHER)
    assert [e["sql"] for e in data["examples"]] == [example["sql"]]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "fields, fragment",
    [
        ({"comment": "x\x00"}, "comment contains a NUL character"),
        ({"comment": "c" * 2001}, "the most is 2,000"),
        ({"sql": "select count(*) from cats /* \x00 */"}, "SQL contains a NUL character"),
    ],
)
async def test_refused_right_feedback_adds_no_example(paths, fields, fragment):
    """Found from outside: a "right" verdict refused for its comment or SQL had already added its example."""
    ds = make_ds(paths)
    response = await feedback(ds, TEACHER, verdict="right", **fields)
    assert response.status_code == 400 and fragment in response.json()["error"]
    data = await listing(ds, ADMIN)
    assert data["examples"] == [] and data["feedback"] == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sql, fragment",
    [
        ("select count(*) from cats -- \x00", "SQL contains a NUL character"),
        ("-- only a comment", "refused"),
        ("/* only a comment */ ;", "refused"),
    ],
)
async def test_example_sql_is_checked_as_sent_then_without_comments(paths, sql, fragment):
    ds = make_ds(paths)
    response = await add(ds, TEACHER, {"question": "Cats?", "sql": sql})
    assert response.status_code == 400 and fragment in response.json()["error"]
    assert (await listing(ds, ADMIN))["examples"] == []


# -- feedback -----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_feedback_right_from_a_teacher_adds_the_example(paths):
    ds = make_ds(paths)
    right = await feedback(ds, TEACHER, verdict="right")
    assert right.status_code == 201 and right.json()["status"] == "added"
    assert right.json()["example"]["sql"] == CATS["sql"] and right.json()["feedback"]["verdict"] == "right"
    again = await feedback(ds, TEACHER, verdict="right")
    assert again.status_code == 201 and again.json()["status"] == "present"
    data = await listing(ds)
    assert [e["question"] for e in data["examples"]] == [CATS["question"]]
    assert [(f["verdict"], f["actor"]) for f in data["feedback"]] == [("right", "teacher"), ("right", "teacher")]
    # "Right" about a table the teacher may not see is refused by the guard, and nothing is recorded.
    hidden = await feedback(ds, TEACHER, verdict="right", question="Codes?", sql="select launch_code from secret")
    assert hidden.status_code == 400 and hidden.json()["reason"] == 'no such table "secret"'
    assert len((await listing(ds))["feedback"]) == 2


@pytest.mark.parametrize(
    "fields, status, fragment",
    [
        ({"verdict": None}, 400, '"verdict" must be "right" or "wrong"'),
        ({"verdict": "meh"}, 400, '"verdict" must be "right" or "wrong"'),
        ({"question": ""}, 400, "'question' is missing"),
        ({"verdict": "right", "sql": None}, 400, "'sql' is missing"),
        ({"comment": "c" * 2001}, 400, "the most is 2,000"),
        ({"comment": ["a list"]}, 400, "must be text"),
        ({"question": "a\x00b"}, 400, "question contains a NUL character"),
        ({"comment": "a\x00b"}, 400, "comment contains a NUL character"),
        ({"sql": "select 1\x00"}, 400, "SQL contains a NUL character"),
    ],
)
@pytest.mark.asyncio
async def test_feedback_bad_input(paths, fields, status, fragment):
    ds = make_ds(paths)
    response = await feedback(ds, TEACHER, **fields)
    assert response.status_code == status and fragment in response.json()["error"], response.text


@pytest.mark.asyncio
async def test_feedback_stops_at_its_size_budget_and_stores_nothing_of_the_refused(paths, monkeypatch):
    from datasette_llm.examples import feedback as feedback_module

    monkeypatch.setattr(feedback_module, "MAX_FEEDBACK_BYTES_PER_DATABASE", 40_000)
    ds = make_ds(paths)
    long_sql = "select count(*) from cats /* " + "😀" * 4_500 + " */"  # 18 KB in 4,533 characters
    statuses = [(await feedback(ds, ASKER, sql=long_sql, comment=f"no {n}")).status_code for n in range(3)]
    assert statuses == [201, 201, 507]
    assert [f["comment"] for f in (await listing(ds))["feedback"]] == ["no 1", "no 0"]
    assert (await feedback(ds, ASKER, comment="short")).status_code == 201  # what fits is still taken


@pytest.mark.asyncio
async def test_a_flood_of_feedback_is_listed_a_page_at_a_time(paths, monkeypatch):
    """Anyone who may ask may send feedback: what a teacher's page or listing reads and sends must not grow with
    it (an outside tester's 10,000 entries made one page +2.4 GB and 13 s)."""
    from datasette_llm.web import examples as web_examples

    monkeypatch.setattr(web_examples, "FEEDBACK_PAGE", 4)
    ds = make_ds(paths)
    long_sql = "select count(*) from cats /* " + "x" * 19_000 + " */"
    for n in range(10):
        assert (await feedback(ds, ASKER, sql=long_sql, comment=f"no {n}")).status_code == 201
    first = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))
    data = first.json()
    assert [f["comment"] for f in data["feedback"]] == ["no 9", "no 8", "no 7", "no 6"]
    assert data["feedback_count"] == 10 and data["feedback_before"] == data["feedback"][-1]["id"]
    assert len(first.content) < 5 * 21_000
    assert [f["comment"] for f in (await listing(ds))["feedback"]] == [f"no {n}" for n in range(9, -1, -1)]
    page = await ds.client.get("/-/llm/db/examples", **signed_in(ds, TEACHER))
    assert page.status_code == 200 and page.text.count('class="llm-verdict-wrong"') == 4
    assert "Feedback (10)" in page.text and f"feedback_before={data['feedback_before']}#feedback" in page.text
    assert len(page.text) < 4 * 25_000 + 30_000  # each entry's SQL once, not again in its "Correct it" link
    older = await ds.client.get(
        f"/-/llm/db/examples?feedback_before={data['feedback_before']}", **signed_in(ds, TEACHER)
    )
    assert "no 5" in older.text and "no 6" not in older.text
    for bad in ("x", "-1", "1" * 30):
        refused = await ds.client.get(f"/-/llm/db/examples.json?feedback_before={bad}", **signed_in(ds, TEACHER))
        assert refused.status_code == 400 and "feedback_before" in refused.json()["error"]
        assert (
            await ds.client.get(f"/-/llm/db/examples?feedback_before={bad}", **signed_in(ds, TEACHER))
        ).status_code == 400


@pytest.mark.asyncio
async def test_feedback_wrong_without_sql_or_comment(paths):
    """An answer from text passages has no SQL: "This is wrong" still records it."""
    ds = make_ds(paths)
    response = await feedback(ds, ASKER, sql=None)
    assert response.status_code == 201 and response.json()["feedback"]["sql"] is None
    assert response.json()["feedback"]["comment"] is None and response.json()["example"] is None


@pytest.mark.asyncio
async def test_feedback_stops_at_the_cap_and_keeps_what_it_has(paths, monkeypatch):
    from datasette_llm.examples import feedback as feedback_module

    monkeypatch.setattr(feedback_module, "MAX_FEEDBACK_PER_DATABASE", 3)
    ds = make_ds(paths)
    statuses = [(await feedback(ds, ASKER, comment=f"no {n}")).status_code for n in range(3)]
    full = await feedback(ds, ASKER, comment="one more")
    assert statuses == [201, 201, 201] and full.status_code == 507, full.text
    assert full.json()["code"] == "store_full" and "store is full" in full.json()["error"]
    assert "3" not in full.json()["error"]  # how much others wrote, the asker may not be shown
    assert [f["comment"] for f in (await listing(ds))["feedback"]] == ["no 2", "no 1", "no 0"]
    removed = await ds.client.post(
        f"/-/llm/db/feedback/{(await listing(ds))['feedback'][0]['id']}/remove", json={}, **signed_in(ds, TEACHER)
    )
    assert removed.status_code == 200, removed.text
    assert (await feedback(ds, ASKER, comment="room again")).status_code == 201


@pytest.mark.asyncio
async def test_feedback_needs_ask_enabled_for_the_database(paths):
    metadata = json.loads(json.dumps(METADATA))
    metadata["plugins"]["datasette-llm"]["databases"] = ["private"]
    ds = make_ds(paths, metadata=metadata)
    response = await feedback(ds, TEACHER)
    assert response.status_code == 404 and "not enabled" in response.json()["error"]


# -- cross-site requests ------------------------------------------------------------------------------


@only_datasette_065
@pytest.mark.asyncio
async def test_cookie_posts_need_the_csrf_token_on_065(paths):
    ds = make_ds(paths)
    cookies = signed_in(ds, TEACHER)["cookies"]
    refused = await ds.client.post("/-/llm/db/examples", json=CATS, cookies=cookies)
    assert refused.status_code == 403  # asgi-csrf: JSON with cookies but no x-csrftoken
    forged = await ds.client.post("/-/llm/db/examples", json=CATS, cookies=cookies, headers={"x-csrftoken": "no"})
    assert forged.status_code == 403
    # A form from another site's page carries neither the CSRF cookie nor the token.
    cookieless = await ds.client.post("/-/llm/db/examples", data=CATS)
    assert cookieless.status_code == 403 and "CSRF" in cookieless.json()["error"]
    assert (await listing(ds))["examples"] == []


@only_datasette_1
@pytest.mark.asyncio
async def test_cross_site_posts_are_refused_on_datasette1(paths):
    ds = make_ds(paths)
    cookies = signed_in(ds, TEACHER)["cookies"]
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}):
        response = await ds.client.post("/-/llm/db/examples", json=CATS, cookies=cookies, headers=headers)
        assert response.status_code == 403
        response = await ds.client.post("/-/llm/db/feedback", json={**CATS, "verdict": "wrong"}, headers=headers)
        assert response.status_code == 403
    # A form with the browser's cookies must say where it comes from.
    form = await ds.client.post("/-/llm/db/examples", data=CATS, cookies=cookies)
    assert form.status_code == 403
    assert (await listing(ds))["examples"] == []


# -- the page and its forms ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_page_lists_examples_and_feedback_with_remove_forms(paths):
    ds = make_ds(paths)
    example_id = (await add(ds, TEACHER)).json()["example"]["id"]
    feedback_id = (await feedback(ds, ASKER, comment="<b>counts dogs</b>")).json()["feedback"]["id"]
    page = await ds.client.get("/-/llm/db/examples", **signed_in(ds, TEACHER))
    assert page.status_code == 200 and "<h1>Trusted examples:" in page.text
    assert f'action="/-/llm/db/examples/{example_id}/remove"' in page.text
    assert f'action="/-/llm/db/feedback/{feedback_id}/remove"' in page.text
    assert "&lt;b&gt;counts dogs&lt;/b&gt;" in page.text and "<b>counts" not in page.text
    assert 'name="csrftoken"' in page.text and "How many cats are there?" in page.text
    correct = re.search(r'class="llm-correct" href="([^"]+)"', page.text).group(1)
    refilled = await ds.client.get("/-/llm/db/examples" + correct.replace("&amp;", "&"), **signed_in(ds, TEACHER))
    assert (
        'value="How many cats are there?"' in refilled.text and "select count(*) from cats</textarea>" in refilled.text
    )

    # Remove with the page's form: a redirect back to the page, which says what happened.
    removed = await ds.client.post(f"/-/llm/db/examples/{example_id}/remove", **form_of(ds, TEACHER))
    assert removed.status_code == 302 and removed.headers["location"] == "/-/llm/db/examples"
    after = await ds.client.get(
        "/-/llm/db/examples", cookies={**form_of(ds, TEACHER)["cookies"], "ds_messages": removed.cookies["ds_messages"]}
    )
    assert f"Removed example #{example_id}" in after.text and 'id="llm-no-examples"' in after.text
    twice = await ds.client.post(f"/-/llm/db/examples/{example_id}/remove", **form_of(ds, TEACHER))
    assert twice.status_code == 302  # a second click: a message, not an error page
    assert (await ds.client.post(f"/-/llm/db/feedback/{feedback_id}/remove", **form_of(ds, TEACHER))).status_code == 302
    assert (await listing(ds))["feedback"] == []


@pytest.mark.asyncio
async def test_page_add_form(paths):
    ds = make_ds(paths)
    added = await ds.client.post("/-/llm/db/examples", **form_of(ds, TEACHER, CATS))
    assert added.status_code == 302 and added.headers["location"] == "/-/llm/db/examples"
    assert [e["sql"] for e in (await listing(ds))["examples"]] == [CATS["sql"]]
    # Refused: back to the form, filled in again, with the guard's reason as the message.
    refused = await ds.client.post(
        "/-/llm/db/examples", **form_of(ds, TEACHER, {"question": "Codes?", "sql": "select * from secret"})
    )
    assert refused.status_code == 302 and refused.headers["location"].endswith("sql=select+%2A+from+secret#add")
    cookies = {**form_of(ds, TEACHER)["cookies"], "ds_messages": refused.cookies["ds_messages"]}
    page = await ds.client.get(refused.headers["location"].split("#")[0], cookies=cookies)
    assert "no such table" in page.text and 'value="Codes?"' in page.text
    # A long refused query is not sent back through the URL (200 KB of SQL made a 200 KB Location header).
    long_sql = "select * from secret where x = '" + "y" * 100_000 + "'"
    refused = await ds.client.post("/-/llm/db/examples", **form_of(ds, TEACHER, {"question": "Q?", "sql": long_sql}))
    assert refused.status_code == 302 and refused.headers["location"] == "/-/llm/db/examples"


@pytest.mark.asyncio
async def test_page_errors_use_datasette_pages(paths):
    ds = make_ds(paths)
    forbidden = await ds.client.get("/-/llm/db/examples", **signed_in(ds, ASKER))
    assert forbidden.status_code == 403 and "text/html" in forbidden.headers["content-type"]
    hidden = await ds.client.get("/-/llm/private/examples", **signed_in(ds, TEACHER))
    assert hidden.status_code == 404 and "text/html" in hidden.headers["content-type"]


@pytest.mark.asyncio
async def test_ask_page_shows_teaching_only_to_teachers(paths):
    ds = make_ds(paths)
    teacher = await ds.client.get("/db/-/ask", **signed_in(ds, TEACHER))
    assert 'data-feedback-url="/-/llm/db/feedback"' in teacher.text and 'data-can-teach="1"' in teacher.text
    assert 'id="ask-teach-link"' in teacher.text and 'href="/-/llm/db/examples"' in teacher.text
    asker = await ds.client.get("/db/-/ask", **signed_in(ds, ASKER))
    assert 'data-feedback-url="/-/llm/db/feedback"' in asker.text
    assert "data-can-teach" not in asker.text and "ask-teach-link" not in asker.text


@pytest.mark.asyncio
async def test_ask_result_carries_the_sql_an_example_keeps(paths, monkeypatch):
    """`example_sql` is the answer's SQL without the LIMIT Ask added, which "This is right" saves."""
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    def scripted(*args, **kwargs):
        return ScriptedModel([sql_reply("select name from cats order by age"), "Tom and Felix."])

    monkeypatch.setattr(datasette_llm.web.ask, "chat_model_for", scripted)
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", scripted)
    ds = make_ds(paths)
    response = await ds.client.post(
        "/db/-/ask.json", json={"question": "Cats by age?", "mode": "sql"}, **signed_in(ds, TEACHER)
    )
    data = response.json()
    assert response.status_code == 200, data
    assert data["sql"] == "select name from cats order by age LIMIT 1001" and data["limit_added"] is True
    assert data["example_sql"] == "select name from cats order by age"


@pytest.mark.asyncio
async def test_a_teacher_learns_nothing_of_hidden_tables_from_an_examples_responses(tmp_path):
    """Two databases that differ only in a table the teacher may not see: every response of adding, listing and
    sending feedback is the same (an outside tester matched a `schema_hash` over the whole schema, hidden tables
    included, against guesses of the hidden names offline)."""
    bodies = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        path = make_database(folder / "db.db")
        if name == "b":
            with sqlite3.connect(path) as conn:
                conn.execute("alter table secret add column pin integer")
                conn.execute("create table hidden_too (id integer primary key)")
            conn.close()
        metadata = json.loads(json.dumps(METADATA))
        metadata["databases"]["db"]["tables"]["hidden_too"] = {"allow": ADMIN}
        metadata["plugins"]["datasette-llm"]["state_dir"] = str(folder / "state")
        ds = make_ds((path,), metadata=metadata)
        added = await add(ds, TEACHER)
        sent = await feedback(ds, ASKER, comment="wrong")
        listed = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))
        bodies.append([(r.status_code, r.text) for r in (added, sent, listed)])
    stamps = re.compile(r'"(added_at|created_at)": ?"[^"]*"')
    assert [(s, stamps.sub("", t)) for s, t in bodies[0]] == [(s, stamps.sub("", t)) for s, t in bodies[1]]
    assert all(code in (200, 201) for code, _ in bodies[0]), bodies[0]


@pytest.mark.asyncio
async def test_dropping_the_only_hidden_table_shows_no_teacher_the_examples_of_it(tmp_path):
    """Once no table is hidden any more, a teacher "sees all": examples of the dropped hidden table must still
    list as if they had never been written (an outside tester read an admin's private examples that way)."""
    bodies = []
    for name in ("a", "b"):
        folder = tmp_path / name
        path = make_database(folder / "db.db")
        metadata = json.loads(json.dumps(METADATA))
        metadata["plugins"]["datasette-llm"]["state_dir"] = str(folder / "state")
        ds = make_ds((path,), metadata=metadata)
        assert (await add(ds, TEACHER)).status_code == 201
        if name == "a":
            secret = {"question": "PRIVATE launch codes?", "sql": "select launch_code from secret where id = 7"}
            assert (await add(ds, ADMIN, secret)).status_code == 201
        with sqlite3.connect(path) as conn:
            conn.execute("drop table secret")
        conn.close()
        listed = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))
        data = listed.json()
        data.pop("not_shown")  # counts entries the teacher may not see, by design (SECURITY.md)
        bodies.append((listed.status_code, re.sub(r'"added_at": ?"[^"]*"', "", json.dumps(data))))
        if name == "a":  # its author still sees it, to remove it
            own = (await listing(ds, ADMIN))["set_aside"]
            assert [e["question"] for e in own] == ["PRIVATE launch codes?"]
    assert bodies[0] == bodies[1] and "PRIVATE" not in bodies[0][1]


@pytest.mark.asyncio
async def test_this_is_right_on_a_full_feedback_store_adds_no_example(paths, monkeypatch):
    """The example was added, then the request answered 507 (an outside tester, session 19)."""
    from datasette_llm.examples import feedback as feedback_module

    monkeypatch.setattr(feedback_module, "MAX_FEEDBACK_PER_DATABASE", 1)
    ds = make_ds(paths)
    assert (await feedback(ds, ASKER, comment="first")).status_code == 201
    full = await feedback(ds, TEACHER, verdict="right", question="How old is Tom?", sql="select age from cats")
    assert full.status_code == 507, full.text
    assert [e["question"] for e in (await listing(ds))["examples"]] == []


@pytest.mark.asyncio
async def test_adding_to_a_full_store_is_507_with_what_to_do_and_the_page_keeps_the_form(paths, monkeypatch):
    from datasette_llm.examples import store as store_module

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 1)
    ds = make_ds(paths)
    assert (await add(ds, TEACHER)).status_code == 201
    assert (await add(ds, TEACHER)).status_code == 200  # the one it has: still "present"
    dogs = {"question": "How old is the oldest cat?", "sql": "select max(age) from cats"}
    full = await add(ds, TEACHER, dogs)
    assert full.status_code == 507 and full.json()["code"] == "store_full", full.text
    assert "remove some" in full.json()["error"]
    sent = await ds.client.post("/-/llm/db/examples", **form_of(ds, TEACHER, dogs))
    assert sent.status_code == 302 and sent.headers["location"].endswith("#add"), sent.text
    cookies = {**form_of(ds, TEACHER)["cookies"], "ds_messages": sent.cookies["ds_messages"]}
    page = await ds.client.get(sent.headers["location"].split("#")[0], cookies=cookies)
    assert "as many trusted examples as it may" in page.text and 'value="How old is the oldest cat?"' in page.text
    assert [e["question"] for e in (await listing(ds))["examples"]] == [CATS["question"]]


@pytest.mark.asyncio
async def test_this_is_right_on_a_full_examples_store_stores_nothing(paths, monkeypatch):
    """An outside tester (session 23): "This is right" on a full examples store answered 507 and kept the
    feedback, so a retry stored it twice. The feedback and its example are stored together or not at all."""
    from datasette_llm.examples import store as store_module

    monkeypatch.setattr(store_module, "MAX_EXAMPLES_PER_DATABASE", 1)
    ds = make_ds(paths)
    assert (await add(ds, TEACHER)).status_code == 201
    other = {"question": "How old is the oldest cat?", "sql": "select max(age) from cats"}
    for _ in range(2):
        full = await feedback(ds, TEACHER, verdict="right", **other)
        assert full.status_code == 507 and full.json()["code"] == "store_full", full.text
    data = await listing(ds)
    assert data["feedback"] == [] and [e["question"] for e in data["examples"]] == [CATS["question"]]
    right = await feedback(ds, TEACHER, verdict="right")  # the example it has: stored with its feedback
    assert right.status_code == 201 and right.json()["status"] == "present", right.text
    assert len((await listing(ds))["feedback"]) == 1


@pytest.mark.asyncio
async def test_actors_without_ids_are_each_their_own_author(paths):
    """An outside tester (session 23): every actor without an id shared one author, so a teacher {"role":
    "teacher"} adding the pair of an admin {"role": "admin"}'s example that names the hidden table got "present",
    the admin's id and time, and narrowed the admin's names: askers who may not see `secret` were shown it."""
    roles = {"role": ["admin", "teacher"]}
    metadata = {
        "databases": {"db": {"tables": {"secret": {"allow": {"role": "admin"}}}}},
        "plugins": {"datasette-llm": {"warm_up": False, "allow_ask": roles}},
    }
    ds = make_ds(paths, allow_teach=roles, metadata=metadata)
    admin, teacher = {"role": "admin"}, {"role": "teacher"}
    pair = {"question": "Is secret empty, by ages?", "sql": "select age as launch_code from cats"}
    first = await add(ds, admin, pair)
    second = await add(ds, teacher, pair)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert first.json()["example"]["id"] != second.json()["example"]["id"]
    assert (await add(ds, teacher, pair)).status_code == 200  # the teacher's own, again
    assert (await listing(ds, teacher))["not_shown"]["examples"] == 1  # the admin's keeps what the admin saw


def test_an_integer_id_and_its_string_are_two_authors():
    from datasette_llm.examples.store import actor_key

    assert actor_key({"id": 5}) != actor_key({"id": "5"})
    assert actor_key({"role": "a"}) != actor_key({"role": "b"}) != actor_key(None)
    assert actor_key({"id": "cli"}) != "cli"
    # the same id whatever else the actor holds: one whose name changed keeps their examples (a tester, s23)
    assert actor_key({"id": "tom", "name": "Tom"}) == actor_key({"id": "tom", "name": "Thomas"})
    # ...and written as the migration from store version 2 writes it
    import sqlite3

    conn = sqlite3.connect(":memory:")
    for name in ("ann", "élodie", 'q"uote', "back\\slash"):
        (migrated,) = conn.execute("select 'id:' || json_quote(?)", (name,)).fetchone()
        assert migrated == actor_key({"id": name})
    conn.close()


@pytest.mark.asyncio
async def test_a_set_aside_example_reads_the_same_to_its_author_whatever_hidden_tables_hold(tmp_path, monkeypatch):
    """Differential (an outside tester, session 22): the stored reason came from the whole schema ("age" is a
    column of secret), and was replaced when it named a hidden table, so whether it was replaced told a teacher
    which hidden tables have a column of a given name; and the author's example naming a dropped column was
    listed to them only when no hidden table had a column of that name. The same set-aside example, in a world
    where the hidden table has that column and in one where it does not, now reads the same to its author."""
    reasons = []
    for column in ("age", "code"):
        folder = tmp_path / column
        folder.mkdir()
        monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(folder / "state"))
        path = folder / "db.db"
        with sqlite3.connect(path) as conn:
            conn.execute("create table cats (id integer primary key, name text, age integer)")
            conn.execute(f"create table secret (id integer primary key, {column} text)")
        conn.close()
        ds = make_ds((path, paths_private(folder)))
        assert (await add(ds, TEACHER, {"question": "Ages?", "sql": "select age from cats"})).status_code == 201
        with sqlite3.connect(path) as conn:
            conn.execute("alter table cats drop column age")
        conn.close()
        (aside,) = (await listing(ds, TEACHER))["set_aside"]
        reasons.append(aside["reason"])
    assert reasons[0] == reasons[1] == 'no such column "age" in table "cats"'


def paths_private(folder):
    private = folder / "private.db"
    with sqlite3.connect(private) as conn:
        conn.execute("create table payroll (id integer primary key, salary integer)")
    conn.close()
    return private


@pytest.mark.asyncio
async def test_an_author_whose_actor_changed_keeps_their_examples(paths):
    """The fourth outside tester (session 23): with the whole actor as the author, Tom, whose name changed, no
    longer listed or could remove his own example, and adding it again made a second one."""
    ds = make_ds(paths, allow_teach=True)
    before, after = {"id": "teacher", "name": "Tom"}, {"id": "teacher", "name": "Thomas"}
    example = (await add(ds, before)).json()["example"]
    again = await add(ds, after)
    assert again.status_code == 200 and again.json()["example"]["id"] == example["id"]
    assert [e["id"] for e in (await listing(ds, after))["examples"]] == [example["id"]]


@pytest.mark.asyncio
async def test_one_client_records_a_share_of_the_feedback_store(paths, monkeypatch):
    """The feedback store's cap is shared by every asker: one anonymous client filled it in 41 s, and everyone's
    feedback was a 507 until a teacher removed entries (an outside tester, session 38). One client without
    llm-teach records at most FEEDBACK_PER_CLIENT pieces in any 10 minutes; others still can, and teachers are
    not counted."""
    from datasette_llm.web import feedback as web_feedback

    monkeypatch.setattr(web_feedback, "FEEDBACK_PER_CLIENT", 3)
    metadata = json.loads(json.dumps(METADATA))
    metadata["plugins"]["datasette-llm"]["allow_ask"]["id"].append("other")
    ds = make_ds(paths, metadata=metadata)
    invalid = [(await feedback(ds, ASKER, comment="a\x00b")).status_code for _ in range(4)]
    assert all(status == 400 for status in invalid), invalid  # refused feedback takes nothing of the share
    statuses = [(await feedback(ds, ASKER, comment=f"no {n}")).status_code for n in range(3)]
    refused = await feedback(ds, ASKER, comment="one more")
    assert statuses == [201, 201, 201] and refused.status_code == 429, refused.text
    assert refused.json()["code"] == "too_many_requests" and int(refused.headers["retry-after"]) > 0
    assert [f["comment"] for f in (await listing(ds))["feedback"]] == ["no 2", "no 1", "no 0"]  # nothing more
    assert (await feedback(ds, {"id": "other"}, comment="mine")).status_code == 201
    assert all([(await feedback(ds, TEACHER, comment=f"t {n}")).status_code == 201 for n in range(4)])


@pytest.mark.asyncio
async def test_a_store_that_cannot_be_used_is_not_located_for_an_asker_who_may_not_teach(paths):
    """Feedback to a damaged store told any asker where the server keeps its state (an outside tester, session 40;
    a directory that cannot be written too). An asker is told what failed; a teacher, who may mend it, where."""
    from datasette_llm.web.examples import store_for

    ds = make_ds(paths)
    directory = store_for(ds).path.parent
    directory.mkdir(parents=True, exist_ok=True)
    store_for(ds).path.write_bytes(b"garbage " * 500)
    asked = await feedback(ds, ASKER)
    taught = await feedback(ds, TEACHER)
    assert asked.status_code == taught.status_code == 500, (asked.text, taught.text)
    assert str(directory) not in asked.text and "examples store" in asked.json()["error"], asked.text
    assert str(directory) in taught.text, taught.text
