"""Dates SQLite cannot read, passed to its date functions (ask/repairs/unread_dates.py).

The generated test's oracle is SQLite asked value by value, outside the repair: the query's call on each stored value
alone (`select strftime('%Y', ?)`), warned exactly when some value neither NULL nor blank gives NULL, with their count.
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, probed, sql_reply
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.unread_dates import SAMPLED, unread_dates

COLUMNS = {"posts": ("id", "title", "published", "stamp", "other")}
POSTS = [
    (1, "a", "2024-03-05", 1709596800, "x"),
    (2, "b", "03/05/2024", 1709683200, "y"),
    (3, "c", "March 5, 2024", 1709769600, "z"),
    (4, "d", None, None, None),
    (5, "e", "  ", None, None),
    (6, "f", "2024-03-07 10:00:00", 1709856000, None),
]


def _database(path, rows=POSTS):
    conn = sqlite3.connect(path)
    conn.execute("create table posts (id integer primary key, title text, published text, stamp integer, other)")
    conn.executemany("insert into posts values (?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def posts_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("dates") / "posts.db")


def warnings(path, sql, columns=COLUMNS, allowed=("posts",)):
    return probed(path, allowed, unread_dates, sql, columns)


@pytest.mark.parametrize(
    "sql, warned",
    [
        ("select count(*) from posts where strftime('%Y', published) = '2024'", ["published 2"]),
        ("select date(published) from posts", ["published 2"]),
        ("select title from posts order by julianday(p.published)", []),  # p is no table of the query
        ("select title from posts p order by julianday(p.published)", ["published 2"]),
        ("select count(*) from posts where cast(strftime('%Y', stamp, 'auto') as integer) = 2024", []),
        ("select datetime(stamp, 'unixepoch') from posts", []),
        ("select strftime('%Y', stamp) from posts", ["stamp 4"]),  # Unix seconds read as Julian days
        ("select date('now')", []),
        ("select strftime('%Y', published, other) from posts", []),  # a modifier from the rows: not this call's
        ("select strftime('%Y', title || published) from posts", []),  # not a column alone
        ("select count(*) from posts where published > '2024'", []),  # no date function
        ("select date(published), date(published, '+1 day') from posts", ["published 2"]),  # each column once
    ],
)
def test_only_columns_with_values_the_call_reads_as_null_are_warned(posts_db, sql, warned):
    found = warnings(posts_db, sql)
    # "<call> is NULL for <count> values of <column> ..." -> "<column> <count>"
    assert [w.split(" of ", 1)[1].split()[0] + " " + w.split(" is NULL for ", 1)[1].split()[0] for w in found] == (
        warned
    ), found


def test_the_warning_names_the_call_a_value_and_what_sqlite_reads(posts_db):
    (warning,) = warnings(posts_db, "select count(*) from posts where strftime('%Y', published) = '2024'")
    assert warning.startswith("STRFTIME('%Y', published) is NULL for 2 values of published (such as '03/05/2024')")
    assert "YYYY-MM-DD" in warning and "left out" in warning
    assert "first 10,000 rows" not in warning  # the whole table was looked at


STORED = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["2024-03-05", "2024-02-30", "2024-3-5", "05/03/2024", "", " ", "now", "2024-03-05T10:00", "1e3"]),
    st.text(max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(STORED, min_size=1, max_size=12),
    call=st.sampled_from(
        ["strftime('%Y', {})", "date({}, 'auto')", "julianday({})", "time({})", "unixepoch({}, 'unixepoch')"]
    ),
)
def test_warned_exactly_when_sqlite_reads_a_stored_value_as_null(tmp_path_factory, values, call):
    path = tmp_path_factory.mktemp("generated") / "d.db"
    conn = sqlite3.connect(path)
    conn.execute("create table d (id integer primary key, value)")
    conn.executemany("insert into d (value) values (?)", [(v,) for v in values])
    conn.commit()
    unread = [
        v
        for (v,) in conn.execute("select value from d")
        if v is not None
        and (not isinstance(v, str) or v.strip(" ") != "")
        and conn.execute(f"select {call.format('?')}", (v,)).fetchone()[0] is None
    ]
    conn.close()
    found = warnings(path, f"select {call.format('value')} from d", columns={"d": ("id", "value")}, allowed=("d",))
    assert bool(found) == bool(unread), (values, found)
    if found:
        assert f" is NULL for {len(unread):,} value" in found[0], (unread, found)


def test_a_probe_that_is_refused_warns_of_nothing(posts_db):
    assert warnings(posts_db, "select date(published) from posts", allowed=("other",)) == []


def test_only_the_tables_first_ten_thousand_rows_are_looked_at(tmp_path):
    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    conn.execute("create table d (id integer primary key, value text)")
    conn.executemany("insert into d (value) values (?)", [("2024-01-01",)] * SAMPLED + [("01/01/2024",)])
    conn.commit()
    sql, columns = "select date(value) from d", {"d": ("id", "value")}
    assert warnings(path, sql, columns=columns, allowed=("d",)) == []
    conn.execute("update d set value = '02/01/2024' where id = 1")
    conn.commit()
    conn.close()
    (warning,) = warnings(path, sql, columns=columns, allowed=("d",))
    assert "1 value of value among its table's first 10,000 rows (such as '02/01/2024')" in warning, warning


@pytest.mark.asyncio
async def test_ask_shows_the_warning_with_the_rows_it_ran(posts_db):
    sql = "select count(*) from posts where strftime('%Y', published) = '2024'"
    model = ScriptedModel([sql_reply(sql), "2 posts were published in 2024."])
    result = await ask(Datasette([str(posts_db)]), "posts", "How many posts were published in 2024?", model=model)
    assert list(result.rows) == [(2,)]  # the database's count, as it returned it
    assert any(note.startswith("warning: STRFTIME('%Y', published) is NULL for 2 values") for note in result.notes), (
        result.notes
    )
    assert len(model.calls) == 2  # no model call for it
