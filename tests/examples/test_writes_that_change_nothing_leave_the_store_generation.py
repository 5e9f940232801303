"""Every write through datasette-llm moves the store's `generation`, and a server reads the examples again when it
has moved (docs/examples.md); a write that changes no row moves nothing, so servers keep what they read ("a
`remove` of an example that is not there gave the store a new count": an outside tester, session 45,
store_file.py). An outside tester's mutation run (session 56) found that giving every write transaction a new
count, whatever it changed, passed the suite.

Oracle: the store's (generation, count, stale) before and after writes that change nothing: a remove of an id
that is not there (example and feedback), a pair added again by its author, vectors for a removed example; and,
as the positive control, a write that does change a row.
"""

import pytest

from datasette_llm.examples import ExampleStore

pytestmark = pytest.mark.no_datasette

FIELDS = {"added_by": "alice", "schema_hash": "h"}


def test_a_write_that_changes_no_row_leaves_the_generation_as_it_was(tmp_path):
    store = ExampleStore(tmp_path / "state" / "examples.db")
    example = store.add("db", "Cats?", "select * from cats", **FIELDS)
    removed = store.add("db", "Dogs?", "select * from dogs", **FIELDS)
    store.remove("db", removed.id)
    before = store.state("db", "h")
    assert before[0] > 0
    assert store.remove("db", 999) is False
    assert store.remove("other", example.id) is False
    assert store.remove_feedback("db", 999) is False
    assert store.get_or_add("db", "Cats?", "select * from cats", **FIELDS) == (example, False)
    store.save_vectors([(removed.id, b"\x00" * 8)], "model")  # its example is gone: nothing is saved
    assert store.state("db", "h") == before
    store.save_vectors([(example.id, b"\x00" * 8)], "model")
    assert store.state("db", "h")[0] != before[0]
