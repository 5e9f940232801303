"""Anyone who may ask may send feedback, so the store takes at most MAX_FEEDBACK_PER_DATABASE entries or
MAX_FEEDBACK_BYTES_PER_DATABASE bytes of question, SQL and comment in UTF-8 per database (docs/examples.md: "507 a
database that already holds 10,000 feedback entries or 5 MB of them, in UTF-8"): a database may hold exactly the
budget. An outside tester's mutation run (session 56) found that refusing the entry that fills the byte budget
exactly, or counting characters for bytes, passed the suite.

Oracle: byte counts made here, in UTF-8, against a budget made small.
"""

import pytest

from datasette_llm.errors import StoreFull
from datasette_llm.examples import ExampleStore

pytestmark = pytest.mark.no_datasette


def test_the_feedback_that_fills_the_byte_budget_exactly_is_stored_and_one_byte_more_is_not(tmp_path, monkeypatch):
    from datasette_llm.examples import feedback as feedback_module

    store = ExampleStore(tmp_path / "state" / "examples.db")
    monkeypatch.setattr(feedback_module, "MAX_FEEDBACK_BYTES_PER_DATABASE", 50)
    store.record_feedback("db", "Ünï?", "select 1", "wrong", comment="bad", actor=None)  # 6 + 8 + 3 bytes
    store.record_feedback("db", "é" * 8, "select 2", "wrong", comment="é" * 4 + "x", actor=None)  # 16 + 8 + 9
    assert len(store.feedback("db")) == 2  # 50 bytes: the whole budget
    with pytest.raises(StoreFull):
        store.record_feedback("db", "q", None, "wrong", comment=None, actor=None)  # 1 byte more
    store.remove_feedback("db", store.feedback("db")[-1].id)
    with pytest.raises(StoreFull):
        store.record_feedback("db", "é" * 8, "select 2", "wrong", comment="é" * 5, actor=None)  # 51 bytes in all
    assert [f.question for f in store.feedback("db")] == ["Ünï?"]
