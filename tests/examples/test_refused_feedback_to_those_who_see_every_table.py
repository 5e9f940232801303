"""Feedback whose SQL the guard refused tells nothing of what it reads, so a listing shows it only to a teacher who
may see every table of the database (SECURITY.md; examples/check.py viewer_tables): SQLite's own tables
(`sqlite_sequence` of an AUTOINCREMENT table, `sqlite_stat1` after ANALYZE) are nobody's to view and must not
take "every table" away from anyone.

Oracle: Datasette's own answer, for each actor and each table and view of the file other than SQLite's own, to
`/db/{table}.json`; the refused entry is listed exactly when every one of them is 200."""

import itertools
import sqlite3

import pytest
from datasette.app import Datasette
from examples_helpers import make_database, signed_in, teaching_metadata

SECRET = "refused-feedback-secret"
ADMIN, TEACHER, ASKER = {"id": "admin"}, {"id": "teacher"}, {"id": "asker"}
# What a database may hold besides cats and secret: SQLite's own tables come with the first two.
EXTRAS = {
    "autoincrement": [
        "create table log (id integer primary key autoincrement, line text)",
        "insert into log (line) values ('x')",
    ],
    "analyze": ["create index cats_age on cats (age)", "analyze"],
    "view": ["create view cat_names as select name from cats"],
}


@pytest.mark.parametrize(
    "extras", [c for size in range(len(EXTRAS) + 1) for c in itertools.combinations(EXTRAS, size)], ids=str
)
@pytest.mark.parametrize("deny_sqlite_tables", [False, True], ids=["as-is", "sqlite-tables-denied"])
@pytest.mark.asyncio
async def test_refused_feedback_is_listed_exactly_to_teachers_who_may_view_every_table(
    tmp_path, extras, deny_sqlite_tables
):
    path = make_database(tmp_path / "db.db")
    with sqlite3.connect(path) as conn:
        for extra in extras:
            for statement in EXTRAS[extra]:
                conn.execute(statement)
    conn.close()
    with sqlite3.connect(path) as conn:
        names = [
            row[0]
            for row in conn.execute("select name from sqlite_master where type in ('table', 'view')")
            if not row[0].startswith("sqlite_")
        ]
    conn.close()
    metadata = teaching_metadata()
    metadata["plugins"]["datasette-llm"]["state_dir"] = str(tmp_path / "state")
    if deny_sqlite_tables:  # a configuration that denies SQLite's own tables to everyone changes no one's "every table"
        for name in ("sqlite_sequence", "sqlite_stat1"):
            metadata["databases"]["db"]["tables"][name] = {"allow": False}
    ds = Datasette([str(path)], metadata=metadata, secret=SECRET)
    refused = {"question": "How many widgets?", "sql": "select count(*) from widgets", "verdict": "wrong"}
    sent = await ds.client.post("/-/llm/db/feedback", json=refused, **signed_in(ds, ASKER))
    assert sent.status_code == 201, sent.text
    for actor in (ADMIN, TEACHER):
        statuses = {
            name: (await ds.client.get(f"/db/{name}.json", **signed_in(ds, actor))).status_code for name in names
        }
        sees_every_table = all(status == 200 for status in statuses.values())
        listed = await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, actor))
        assert listed.status_code == 200, listed.text
        shown = [f["sql"] for f in listed.json()["feedback"]]
        assert (refused["sql"] in shown) == sees_every_table, (actor, extras, statuses, shown)
