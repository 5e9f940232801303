"""A column an aggregate query neither groups nor aggregates, whose value differs within a group shown
(ask/repairs/arbitrary_values.py).

The oracle of the generated test is Python's own grouping of the rows the query reads: a column is arbitrary
when some group holds two values of it, unless SQLite's one-min-or-max rule decides the row.
"""

import asyncio
import random
import sqlite3

import pytest
from ask_helpers import ScriptedModel, probed, sql_reply
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_helpers import spider_gold, spider_probes

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.arbitrary_values import arbitrary_values
from datasette_llm.ask.repairs.value_hints import Probe

COLUMNS = {"staff": ("id", "name", "team", "site", "pay"), "teams": ("code", "label")}
STAFF = [(1, "Ann", "a", "x", 100), (2, "Bob", "a", "x", 200), (3, "Cy", "b", "y", 150), (4, "Di", "b", "x", 120)]


def _database(path, staff=STAFF):
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table staff (id integer primary key, name text, team text, site text, pay int);"
        "create table teams (code text primary key, label text);"
        "insert into teams values ('a', 'Alpha'), ('b', 'Beta'), ('c', 'Gamma');"
    )
    conn.executemany("insert into staff values (?, ?, ?, ?, ?)", staff)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def staff_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("arbitrary") / "staff.db")


def doubts(path, sql):
    return probed(path, COLUMNS, arbitrary_values, sql, COLUMNS)


@pytest.mark.parametrize(
    "sql, arbitrary",
    [
        ("select name, avg(pay) from staff group by team", ["name"]),
        ("select name, avg(pay) from staff", ["name"]),  # one group: all the rows
        ("select name, max(pay) from staff group by team", []),  # SQLite: the row that holds the max
        ("select name, min(pay), count(*) from staff", []),
        ("select name, max(pay), min(pay) from staff group by team", ["name"]),  # two extremes: no such rule
        ("select site, count(*) from staff group by team", ["site"]),  # team a is all x; team b x and y
        ("select site, count(*) from staff where team = 'a' group by team", []),  # only team a's group shown
        ("select s.name, avg(s.pay) as a from staff s group by s.team order by a desc limit 1", ["s.name"]),
        ("select site, avg(pay) as a from staff group by team order by a desc limit 1", []),  # team a: all x
        ("select name, count(*) from staff where name = 'Ann'", []),  # pinned to one value
        ("select t.label, sum(s.pay) from staff s join teams t on t.code = s.team group by s.team", []),
        ("select t.label, s.team, sum(s.pay) from staff s join teams t on t.code = s.team group by 2", []),
        ("select name as who, count(*) from staff group by who", []),
        ("select team, count(*) from staff group by team", []),
        ("select distinct name, count(*) from staff group by team", []),  # not read (DISTINCT)
        ("select name from staff", []),
        ("select (select name from staff limit 1), count(*) from staff", []),  # a subquery's own column
    ],
)
def test_only_columns_that_differ_within_a_shown_group_are_doubted(staff_db, sql, arbitrary):
    found = doubts(staff_db, sql)
    assert [d.split(" is neither", 1)[0] for d in found] == arbitrary, found


def test_the_doubt_says_what_the_rows_show_and_what_to_do(staff_db):
    (grouped,) = doubts(staff_db, "select name, avg(pay) from staff group by team")
    assert grouped == (
        "name is neither grouped nor aggregated and differs within each group: each result row shows the name of "
        "one arbitrary row beside the aggregate. To list its values per group, use GROUP_CONCAT(name); if the "
        "question does not ask for it, leave it out"
    )
    (whole,) = doubts(staff_db, "select name, avg(pay) from staff")
    assert "differs within the rows it aggregates" in whole


GROUPABLE = ["team", "site", "name"]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["Ann", "Bob", "Cy"]), st.sampled_from("ab"), st.sampled_from("xy")),
        min_size=0,
        max_size=8,
    ),
    bare=st.sampled_from(["id", "name", "team", "site"]),
    aggregate=st.sampled_from(["avg", "sum", "count", "max", "min", "total"]),
    grouped=st.lists(st.sampled_from(GROUPABLE), max_size=2, unique=True),
    pin=st.one_of(st.none(), st.tuples(st.sampled_from(["team", "site"]), st.sampled_from("abxy"))),
)
def test_doubts_match_the_groups_the_rows_really_form(tmp_path_factory, rows, bare, aggregate, grouped, pin):
    staff = [(n, name, team, site, random.Random(n).randint(1, 9)) for n, (name, team, site) in enumerate(rows, 1)]
    path = _database(tmp_path_factory.mktemp("generated") / "staff.db", staff)
    where = f" where {pin[0]} = '{pin[1]}'" if pin else ""
    group = f" group by {', '.join(grouped)}" if grouped else ""
    sql = f"select {bare}, {aggregate}(pay) from staff{where}{group}"
    # Python's own grouping: the rows the query reads, by the grouped columns' values
    names = COLUMNS["staff"]
    kept = [dict(zip(names, row)) for row in staff if not pin or dict(zip(names, row))[pin[0]] == pin[1]]
    groups: dict = {}
    for row in kept:
        groups.setdefault(tuple(row[c] for c in grouped), set()).add(row[bare])
    expected = aggregate not in ("max", "min") and any(len(values) > 1 for values in groups.values())
    assert bool(doubts(path, sql)) == expected, (sql, staff)


def test_a_probe_that_fails_or_runs_out_of_time_raises_no_doubt(staff_db):
    async def run():
        datasette = Datasette([str(staff_db)])
        probe = Probe(datasette.get_database("staff"), {"teams"}, 5000)  # staff is not allowed: the probe fails
        return await arbitrary_values(probe, "select name, avg(pay) from staff group by team", COLUMNS)

    assert asyncio.run(run()) == []
    assert doubts(staff_db, "select name, avg(pay) from nowhere group by team") == []
    assert doubts(staff_db, "SELECT FROM WHERE") == []


@pytest.mark.asyncio
async def test_the_model_is_asked_once_and_a_kept_query_runs_with_a_warning(staff_db):
    arbitrary = "select name, avg(pay) from staff group by team"
    right = "select team, avg(pay) from staff group by team"
    model = ScriptedModel([sql_reply(arbitrary), sql_reply(right), "Team a averages 150."])
    result = await ask(Datasette([str(staff_db)]), "staff", "What is the average pay of each team?", model=model)
    assert [a.error_kind for a in result.attempts] == ["doubtful_logic", None]
    assert result.attempts[0].error.startswith("name is neither grouped nor aggregated")
    assert sorted(result.rows) == [("a", 150.0), ("b", 135.0)]
    assert not any(note.startswith("warning") for note in result.notes)
    model = ScriptedModel([sql_reply(arbitrary), sql_reply(arbitrary), "Ann averages 150."])
    result = await ask(Datasette([str(staff_db)]), "staff", "What is the average pay of each team?", model=model)
    assert any(note.startswith("warning: name is neither grouped") for note in result.notes), result.notes


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
@pytest.mark.asyncio
async def test_no_spider_gold_query_shows_an_arbitrary_rows_value():
    flagged = []
    for probe, item, columns in await spider_probes():
        if await arbitrary_values(probe, item["query"], columns):
            flagged.append(item["query"])
    assert flagged == []


def test_columns_equal_to_a_grouped_one_or_pinned_cost_no_probe(staff_db, monkeypatch):
    probes = []
    rows = Probe.rows

    async def counted(self, sql, limit):
        probes.append(sql)
        return await rows(self, sql, limit)

    monkeypatch.setattr(Probe, "rows", counted)
    assert (
        doubts(staff_db, "select t.code, sum(s.pay) from staff s join teams t on t.code = s.team group by s.team") == []
    )
    assert doubts(staff_db, "select name, count(*) from staff where name = 'Ann'") == []
    assert probes == []
    assert (
        doubts(staff_db, "select t.label, sum(s.pay) from staff s join teams t on t.code = s.team group by s.team")
        == []
    )
    assert len(probes) == 1  # a label is not a key: only the data can say it is one per team


def test_hostile_and_malformed_sql_never_breaks_the_plan():
    from hostile_sql import HOSTILE_SQL

    from datasette_llm.ask.repairs.arbitrary_values import plan

    for _, sql, _ in HOSTILE_SQL:
        planned = plan(sql, COLUMNS)
        assert planned is None or planned[0].startswith("SELECT MAX("), sql
