"""The store refuses more examples than MAX_EXAMPLES_PER_DATABASE, or more than MAX_EXAMPLE_BYTES_PER_DATABASE bytes
of their questions and SQL in UTF-8 (docs/examples.md: "5,000 trusted examples or 5 MB of their questions and
SQL"): a database may hold exactly the budget. The suite's test of the byte budget stopped short of it on one side
and went past it on the other: an outside tester's mutation run (session 56) found that refusing the example that
fills the budget exactly passed the suite.

Oracle: byte counts made here, in UTF-8, against a budget made small.
"""

import pytest

from datasette_llm.errors import StoreFull
from datasette_llm.examples import ExampleStore

pytestmark = pytest.mark.no_datasette

FIELDS = {"added_by": "alice", "schema_hash": "h1"}


def size(question, sql):
    return len(question.encode("utf-8")) + len(sql.encode("utf-8"))


def test_the_example_that_fills_the_byte_budget_exactly_is_stored_and_one_byte_more_is_not(tmp_path, monkeypatch):
    from datasette_llm.examples import store as store_module

    store = ExampleStore(tmp_path / "state" / "examples.db")
    monkeypatch.setattr(store_module, "MAX_EXAMPLE_BYTES_PER_DATABASE", 60)
    store.add("db", "Ünï?", "select 1", **FIELDS)
    held = size("Ünï?", "select 1")
    filling = ("é" * ((60 - held - len("select 2")) // 2), "select 2")
    assert held + size(*filling) == 60
    store.add("db", *filling, **FIELDS)
    with pytest.raises(StoreFull):
        store.add("db", "x", "select 3", **FIELDS)  # 9 bytes more
    store.remove("db", store.examples("db")[-1].id)
    one_more = ("é" * ((60 - held - len("select 2")) // 2) + "x", "select 2")
    assert held + size(*one_more) == 61
    with pytest.raises(StoreFull):
        store.add("db", *one_more, **FIELDS)
    assert [e.question for e in store.examples("db")] == ["Ünï?"]
