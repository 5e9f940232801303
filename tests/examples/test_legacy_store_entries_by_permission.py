"""Entries of a store written before `reads` and `names` were kept (schema version 1) get them on the first
listing (examples/check.py fill_checks): over the whole schema, so an entry reads as the tables its SQL reads. A
listing then shows each legacy example and feedback exactly to the teachers who may view every table its SQL
reads, and a remove of a legacy entry works as for any other.

Oracles independent of the plugin: the tables each SQL reads, as SQLite's authorizer reports them on a plain
connection, and whether Datasette lets each actor view each table (`/db/{table}.json`)."""

import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in
from test_examples_store import _version_1_store

SECRET = "legacy-store-secret"
ADMIN, TEACHER = {"id": "admin"}, {"id": "teacher"}
METADATA = {
    "databases": {"db": {"tables": {"secret": {"allow": ADMIN}}}},
    "plugins": {"datasette-llm": {"warm_up": False, "allow_teach": {"id": ["teacher", "admin"]}}},
}
# SQL over every combination of the two tables (cats visible to both teachers, secret to admin alone).
SQLS = [
    "select count(*) from cats",
    "select name from cats where age > 2",
    "select launch_code from secret",
    "select count(*) from secret",
    "select c.name, s.launch_code from cats c join secret s on s.id = c.id",
    "select name from cats where id in (select id from secret)",
]


def tables_read(path: Path, sql: str) -> set[str]:
    """The tables SQLite reads for `sql` (its authorizer's SQLITE_READ calls), on a plain connection."""
    seen = set()

    def authorizer(action, arg1, arg2, db, source):
        if action == sqlite3.SQLITE_READ and arg1 and not arg1.startswith("sqlite_"):
            seen.add(arg1.lower())
        return sqlite3.SQLITE_OK

    conn = sqlite3.connect(path)
    conn.set_authorizer(authorizer)
    conn.execute(sql).fetchall()
    conn.close()
    return seen


def legacy_store(path: Path, entries):
    """A version 1 store (tests/examples/test_examples_store.py's) holding `entries` (question, SQL) as examples
    and as feedback, none with `reads` or `names`."""
    _version_1_store(path)
    with sqlite3.connect(path) as conn:
        conn.execute("delete from examples")
        conn.execute("delete from feedback")
        for number, (question, sql) in enumerate(entries, 1):
            conn.execute(
                "insert into examples values (?, 'db', ?, ?, 'ann', '2025-01-01', 'h', 'active', null)",
                (number, question, sql),
            )
            conn.execute(
                "insert into feedback values (?, 'db', ?, ?, 'wrong', null, 'bob', '2025-01-01')",
                (number, question, sql),
            )
    conn.close()


async def may_view(ds, actor, table) -> bool:
    response = await ds.client.get(f"/db/{table}.json", **signed_in(ds, actor))
    assert response.status_code in (200, 403), response.text
    return response.status_code == 200


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.asyncio
async def test_legacy_entries_are_listed_to_exactly_those_who_may_view_what_they_read(tmp_path, size):
    db_path = make_database(tmp_path / "db.db")
    for chosen in itertools.combinations(range(len(SQLS)), size):
        entries = [(f"Question {i} about things?", SQLS[i]) for i in chosen]
        state = tmp_path / f"state-{'-'.join(map(str, chosen))}"
        state.mkdir()
        legacy_store(state / "examples.db", entries)
        metadata = json.loads(json.dumps(METADATA))
        metadata["plugins"]["datasette-llm"]["state_dir"] = str(state)
        ds = Datasette([str(db_path)], metadata=metadata, secret=SECRET)
        for actor in (TEACHER, ADMIN):
            viewable = {t for t in ("cats", "secret") if await may_view(ds, actor, t)}
            expected = {sql for _, sql in entries if tables_read(db_path, sql) <= viewable}
            response = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, actor))
            assert response.status_code == 200, response.text
            data = response.json()
            assert {e["sql"] for e in data["examples"]} == expected, (actor, viewable, data["examples"])
            assert {f["sql"] for f in data["feedback"]} == expected, (actor, viewable, data["feedback"])


@pytest.mark.parametrize("what", ["examples", "feedback"])
@pytest.mark.asyncio
async def test_a_legacy_entry_is_removed_by_a_teacher_who_may_see_it_and_not_by_one_who_may_not(tmp_path, what):
    db_path = make_database(tmp_path / "db.db")
    for number, sql in enumerate(SQLS, 1):
        state = tmp_path / f"state-{what}-{number}"
        state.mkdir()
        legacy_store(state / "examples.db", [(f"Question {number}?", sql)])
        metadata = json.loads(json.dumps(METADATA))
        metadata["plugins"]["datasette-llm"]["state_dir"] = str(state)
        ds = Datasette([str(db_path)], metadata=metadata, secret=SECRET)
        for actor in (TEACHER, ADMIN):  # the teacher first: a refused remove leaves it for the admin
            viewable = {t for t in ("cats", "secret") if await may_view(ds, actor, t)}
            response = await ds.client.post(f"/-/llm/db/{what}/1/remove", json={}, **signed_in(ds, actor))
            if tables_read(db_path, sql) <= viewable:
                assert response.status_code == 200, (actor, sql, response.status_code, response.text)
                break
            assert response.status_code == 404, (actor, sql, response.status_code, response.text)
        with sqlite3.connect(state / "examples.db") as conn:
            left = conn.execute(f"select count(*) from {what}").fetchone()[0]
        conn.close()
        assert left == 0, (what, sql)
