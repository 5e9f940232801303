"""Feedback stored before its checks were kept (an earlier release's store: no `reads`, no `names`) gets them before
a listing shows it (examples/check.py fill_checks). On a store that cannot be written the checks are not saved, and
the listing reads the feedback's checks again from the store: still none. An entry is shown "only when the table and
column names its text mentions ... are ones the viewer may see too", so feedback whose names are not known is not
shown to a teacher who may not see every table. An outside tester's mutation run (session 56) found that reading
"no names kept" as "names nothing" passed the suite: a legacy piece of feedback (without SQL) naming the hidden
`secret` was then listed to such a teacher.

Oracle: the teacher's listing (feedback, feedback_count, not_shown) against the admin's, with the store's writes
failing and not failing.
"""

import sqlite3

import pytest
from datasette.app import Datasette
from examples_helpers import ADMIN, TEACHER, signed_in, teaching_metadata

from datasette_llm.examples import ExampleStore

NAMING = "Which cats know the secret launch_code?"


async def listings(ds):
    teacher = (await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, TEACHER))).json()
    admin = (await ds.client.get("/-/llm/db/examples.json", **signed_in(ds, ADMIN))).json()
    return teacher, admin


@pytest.mark.asyncio
@pytest.mark.parametrize("writable", [False, True])
async def test_unchecked_legacy_feedback_naming_a_hidden_table_is_kept_from_the_teacher(
    db_path, state, monkeypatch, writable
):
    store = ExampleStore(state / "examples.db")
    store.record_feedback("db", NAMING, None, "wrong", comment="about the launch codes", actor="admin")
    assert store.feedback("db")[0].names is None  # as an earlier release stored it
    if not writable:

        def read_only(self, *args, **kwargs):
            raise sqlite3.OperationalError("attempt to write a readonly database")

        monkeypatch.setattr(ExampleStore, "set_checks", read_only)
    ds = Datasette([db_path], metadata=teaching_metadata())
    teacher, admin = await listings(ds)
    assert [f["question"] for f in admin["feedback"]] == [NAMING]
    assert teacher["feedback"] == [] and teacher["feedback_count"] == 0, teacher
    assert teacher["not_shown"]["feedback"] == 1
