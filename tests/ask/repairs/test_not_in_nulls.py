"""NULLs left out of a NOT IN subquery that returns one (ask/repairs/not_in_nulls.py).

The oracle of the generated test is Python's own reading of the question the query asks, "the rows whose value is
none of the other table's values": `v not in {w for w in others if w is not None}` (a NULL v is no value and is
left out, as SQL leaves it out, unless there are no other values at all). The mended query's rows must be those;
a subquery with no NULL is left as written.
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, probed, sql_reply
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_helpers import spider_gold, spider_probes

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.not_in_nulls import null_safe_not_in

# Ann manages Bob and Cy; Di manages nobody; Ann has no manager (NULL)
STAFF = [(1, "Ann", None), (2, "Bob", 1), (3, "Cy", 1), (4, "Di", 2)]


def _database(path, staff=STAFF):
    conn = sqlite3.connect(path)
    conn.execute("create table staff (id integer primary key, name text, manager_id integer)")
    conn.execute("create table teams (code text, lead integer)")
    conn.executemany("insert into staff values (?, ?, ?)", staff)
    conn.executemany("insert into teams values (?, ?)", [("a", 1), ("b", 2)])
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def staff_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("not_in") / "staff.db")


def mend(path, sql, allowed=("staff", "teams")):
    return probed(path, allowed, null_safe_not_in, sql)


def rows(path, sql):
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(sql).fetchall())
    finally:
        conn.close()


MANAGES_NOBODY = "select name from staff where id not in (select manager_id from staff)"


def test_a_subquery_that_returns_a_null_gets_is_not_null_and_the_right_rows(staff_db):
    assert rows(staff_db, MANAGES_NOBODY) == []  # as written: no row at all
    sql, changes = mend(staff_db, MANAGES_NOBODY)
    assert sql == ("SELECT name FROM staff WHERE NOT id IN (SELECT manager_id FROM staff WHERE NOT manager_id IS NULL)")
    assert rows(staff_db, sql) == [("Cy",), ("Di",)]
    assert changes == (
        "manager_id IS NOT NULL added to the NOT IN subquery: it returned a NULL, and NOT IN over a NULL is true "
        "for no row",
    )


@pytest.mark.parametrize(
    "sql",
    [
        "select name from staff where id not in (select lead from teams)",  # no NULL among the leads
        "select name from staff where id in (select manager_id from staff)",  # IN: a NULL changes nothing
        "select name from staff where id not in (1, null)",  # a list: left alone
        "select name from staff s where id not in (select manager_id from staff t where t.id = s.id)",  # correlated
        "select name from staff where id not in (select max(manager_id) from staff)",  # an aggregate
        "select name from staff where id not in (select distinct manager_id from staff)",
        "select name from staff where id not in (select manager_id from staff limit 2)",
        "select name from staff where id not in (select manager_id + 0 from staff)",  # not a plain column
        "select name from staff where id not in (select manager_id from staff where manager_id is not null)",
        "select name from nowhere where id not in (select manager_id from staff)",  # (the probe still asks)
        "SELECT FROM WHERE",
    ],
)
def test_other_queries_are_left_as_written(staff_db, sql):
    result = mend(staff_db, sql)
    if "nowhere" in sql:  # the subquery alone runs and holds a NULL: mended, the outer table is the guard's business
        assert result is not None
        return
    assert result is None, result


def test_only_the_subqueries_that_return_a_null_change(staff_db):
    sql = "select name from staff where id not in (select lead from teams) and id not in (select manager_id from staff)"
    mended, changes = mend(staff_db, sql)
    assert len(changes) == 1 and "NOT lead IS NULL" not in mended and "NOT manager_id IS NULL" in mended
    assert rows(staff_db, mended) == [("Cy",), ("Di",)]  # leads 1 and 2, managers 1 and 2


def test_a_probe_that_is_refused_changes_nothing(staff_db):
    assert mend(staff_db, MANAGES_NOBODY, allowed=("teams",)) is None  # staff not allowed: the guard refuses


VALUES = st.one_of(st.none(), st.integers(0, 5))


@settings(max_examples=80, deadline=None)
@given(left=st.lists(VALUES, max_size=8), right=st.lists(VALUES, max_size=8))
def test_the_mended_rows_are_the_values_none_of_the_others_are(tmp_path_factory, left, right):
    path = tmp_path_factory.mktemp("generated") / "pairs.db"
    conn = sqlite3.connect(path)
    conn.execute("create table a (id integer primary key, v integer)")
    conn.execute("create table b (w integer)")
    conn.executemany("insert into a (v) values (?)", [(v,) for v in left])
    conn.executemany("insert into b values (?)", [(w,) for w in right])
    conn.commit()
    conn.close()
    sql = "select id, v from a where v not in (select w from b)"
    mended = mend(path, sql, allowed=("a", "b"))
    assert (mended is not None) == (None in right), (left, right)
    others = {w for w in right if w is not None}
    # (SQL: anything, NULL too, is NOT IN an empty set)
    expected = sorted((n, v) for n, v in enumerate(left, 1) if not others or (v is not None and v not in others))
    assert rows(path, mended[0] if mended else sql) == expected, (left, right, mended)


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
@pytest.mark.asyncio
async def test_no_spider_gold_query_is_mended():
    mended = []
    for probe, item, _ in await spider_probes():
        if await null_safe_not_in(probe, item["query"]):
            mended.append(item["query"])
    assert mended == []


@pytest.mark.asyncio
async def test_ask_runs_the_mended_query_and_says_so(staff_db):
    model = ScriptedModel([sql_reply(MANAGES_NOBODY), "Cy and Di manage nobody."])
    result = await ask(Datasette([str(staff_db)]), "staff", "Who manages nobody?", model=model)
    assert sorted(result.rows) == [("Cy",), ("Di",)]
    assert "NOT manager_id IS NULL" in result.sql
    assert any(n.startswith("the query was mended before it ran: manager_id IS NOT NULL added") for n in result.notes)
    assert len(model.calls) == 2  # no model call for the mend: the SQL prompt and the answer
