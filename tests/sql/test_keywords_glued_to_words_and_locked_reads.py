"""Two gaps an outside tester's mutation run left without a test (session 53):

- a keyword is a keyword only as a whole word on both sides: with the word before it no longer looked at, "Do not
  PRESELECT name FROM dogs" gave `SELECT name FROM dogs`, a query the model never wrote (sql/replies.py);
- a read that fails because another connection holds the database's lock says so ("another connection is writing
  to it", which a retry mends), not "SQLite could not read it" (sql/failures.py: the search's and pages' 503).
"""

import sqlite3

import pytest

from datasette_llm.sql.failures import public_read_failure
from datasette_llm.sql.replies import extract_sql

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("glued", ["PRESELECT", "preselect", "Xselect", "_SELECT", "1SELECT", "sub_select"])
@pytest.mark.parametrize("frame", ["Do not {} name FROM dogs", "{} name FROM dogs;", "```sql\n{} name FROM dogs\n```"])
def test_a_keyword_glued_to_the_word_before_it_is_not_a_query(glued, frame):
    found = extract_sql(frame.format(glued))
    assert not found.lower().startswith("select"), found  # a fence's text is handed on as written, if at all


@pytest.mark.parametrize("before", ["", "Use ", "(", "\n", "query:"])
def test_a_keyword_after_a_space_or_mark_is_found(before):
    assert extract_sql(f"{before}SELECT name FROM dogs") == "SELECT name FROM dogs"


def test_a_read_refused_by_anothers_lock_says_so(tmp_path):
    path = tmp_path / "db.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("create table t (x)")
    writer.execute("begin exclusive")
    writer.execute("insert into t values (1)")
    reader = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            reader.execute("select * from t").fetchall()
        assert public_read_failure(caught.value, "the test") == "another connection is writing to it"
        writer.execute("commit")
        assert reader.execute("select * from t").fetchall() == [(1,)]
    finally:
        reader.close()
        writer.close()
    assert public_read_failure(sqlite3.OperationalError("no such table: t"), "the test") == "SQLite could not read it"
