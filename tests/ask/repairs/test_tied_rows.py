"""Rows tied at the query's LIMIT (ask/repairs/tied_rows.py).

The oracle of the generated test is Python's own ordering of the rows the query reads, with SQLite's rules for
NULL (first ascending, last descending): the rows past the LIMIT whose ORDER BY values equal the last shown row's.
"""

import asyncio
import functools
import sqlite3

import pytest
from ask_helpers import ScriptedModel, probed, sql_reply
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs import tied_rows as tied
from datasette_llm.ask.repairs.value_hints import Probe

ROW_CAP = 1001
# team, points: a and b share the most points in all (7 each); c has 3
PLAYERS = [(1, "Ann", "a", 4), (2, "Bob", "a", 3), (3, "Cy", "b", 7), (4, "Di", "c", 3), (5, "Ed", None, None)]


def _database(path, rows=PLAYERS):
    conn = sqlite3.connect(path)
    conn.executescript("create table players (id integer primary key, name text, team text, points int);")
    conn.executemany("insert into players values (?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def players_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("tied") / "players.db")


def ties(path, sql, allowed=("players",)):
    conn = sqlite3.connect(path)
    try:
        shown = len(conn.execute(sql).fetchall())
    finally:
        conn.close()
    return probed(path, allowed, tied.tied_rows, sql, shown, ROW_CAP)


@pytest.mark.parametrize(
    "sql, found",
    [
        ("select team, sum(points) as total from players group by team order by total desc limit 1", (1, 2)),
        ("select team, sum(points) from players group by team order by 2 desc limit 1", (1, 2)),
        ("select team from players group by team order by sum(points) desc limit 1", (1, 2)),
        ("select team, sum(points) as total from players group by team order by total desc limit 2", ()),
        ("select name from players order by points limit 1", ()),  # NULL first: Ed alone
        ("select name from players order by points limit 2", (1, 2)),  # Bob and Di score 3
        ("select name from players order by points desc limit 3", (1, 2)),  # 7, 4, 3 and 3 left out
        ("select name from players order by points, name limit 2", ()),  # the names part the tie
        ("select name from players order by points % 2, name limit 1", ()),
        ("select name from players order by team is null, team limit 1", (1, 2)),  # Ann and Bob of a
        ("select name from players order by points desc limit 4", ()),  # 7, 4, 3, 3: NULL is last
        ("select name from players order by points limit 5", ()),  # every row shown
        ("select name from players order by points limit 9", ()),  # fewer rows than the LIMIT
        ("select name from players where points = 3 order by points limit 1", (1, 2)),
        # two output columns named alike: SQLite orders by the first (the names), not by the points
        ("select name as team, points as team from players order by team limit 2", ()),
        ("select points as team, name as team from players order by team limit 2", (1, 2)),
    ],
)
def test_only_rows_the_limit_left_out_that_sort_like_the_last_shown_are_found(players_db, sql, found):
    result = ties(players_db, sql)
    assert ((result.more, result.total) if result else ()) == found, sql


@pytest.mark.parametrize(
    "sql",
    [
        "select distinct points from players order by points limit 2",  # extra columns would change its rows
        "select name from players order by points limit 1 offset 1",
        "select name from players order by points limit 1, 1",
        "select name from players order by points limit (select 1)",
        "select * from players order by points limit 2",
        "select name from players limit 2",  # no order: nothing to tie on
        "select name from players union select team from players order by 1 limit 1",
        "select name from players order by points limit 1001",  # not the query's own LIMIT: the guard's
        "SELECT FROM WHERE",
    ],
)
def test_queries_it_does_not_read_cost_no_probe(players_db, sql, monkeypatch):
    probes = []
    result = Probe.result  # (Probe.rows reads through it)

    async def counted(self, sql, limit):
        probes.append(sql)
        return await result(self, sql, limit)

    monkeypatch.setattr(Probe, "result", counted)
    assert tied.plan(sql, ROW_CAP) is None
    try:
        result = ties(players_db, sql)
    except sqlite3.Error:  # (the malformed one cannot run to count its rows either)
        result = asyncio.run(tied.tied_rows(None, sql, 0, ROW_CAP))
    assert result is None and probes == []


def test_the_note_says_how_many_tie_and_that_the_row_shown_is_one_of_them(players_db):
    top = ties(players_db, "select team, sum(points) as total from players group by team order by total desc limit 1")
    assert top.note() == (
        "the query's LIMIT 1 left out 1 more row that ties with the row shown on total (2 rows in all share its "
        "value): the row shown is one of them, picked in no particular order"
    )
    assert top.counts() == (1, 2)
    two = ties(players_db, "select name from players order by points limit 2")
    assert "LIMIT 2 left out 1 more row that ties with the last row shown on points" in two.note()


def test_more_ties_than_the_probe_reads_are_stated_as_at_least(tmp_path):
    path = _database(tmp_path / "many.db", [(n, f"p{n}", "a", 1) for n in range(1, tied.MORE + 10)])
    result = ties(path, "select name from players order by points limit 1")
    assert (result.more, result.at_least, result.total) == (tied.MORE, True, tied.MORE + 1)
    assert "left out at least 100 more rows that tie with the row shown" in result.note()
    assert "(at least 101 rows in all" in result.note()
    exact = _database(tmp_path / "exact.db", [(n, f"p{n}", "a", 1) for n in range(1, tied.MORE + 1)])
    result = ties(exact, "select name from players order by points limit 1")
    assert (result.more, result.at_least) == (tied.MORE - 1, False)


def test_a_probe_that_fails_finds_no_ties(players_db):
    sql = "select name from players order by points limit 2"
    assert ties(players_db, sql, allowed=("teams",)) is None  # players not allowed: the guard refuses the probe


def _sqlite_order(directions):
    """A comparison of key tuples as SQLite orders them: NULL below every value, each key ASC or DESC."""

    def compare(a, b):
        for x, y, descending in zip(a, b, directions):
            left, right = (x is not None, x), (y is not None, y)
            if left != right:
                return (1 if left > right else -1) * (-1 if descending else 1)
        return 0

    return functools.cmp_to_key(compare)


KEYS = {  # ORDER BY key -> Python's value of it for a row (id, name, team, points)
    "points": lambda row: row[3],
    "team": lambda row: row[2],
    "points % 3": lambda row: None if row[3] is None else row[3] % 3,
    "team is null": lambda row: int(row[2] is None),
}


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", None]), st.one_of(st.none(), st.integers(0, 4))),
        max_size=12,
    ),
    keys=st.lists(st.tuples(st.sampled_from(sorted(KEYS)), st.booleans()), min_size=1, max_size=2),
    limit=st.integers(1, 6),
    grouped=st.booleans(),
)
def test_ties_found_are_the_ties_pythons_ordering_of_the_rows_has(tmp_path_factory, rows, keys, limit, grouped):
    players = [(n, f"p{n}", team, points) for n, (team, points) in enumerate(rows, 1)]
    path = _database(tmp_path_factory.mktemp("generated") / "players.db", players)
    order = ", ".join(f"{key} {'desc' if descending else 'asc'}" for key, descending in keys)
    directions = [descending for _, descending in keys]
    if grouped:  # one row per team, ordered by its count of players (and the key over its team)
        sql = f"select team, count(*) as n from players group by team order by n, {order}"
        teams: dict = {}
        for row in players:
            teams.setdefault(row[2], []).append(row)
        values = [(len(members),) + tuple(KEYS[key](members[0]) for key, _ in keys) for members in teams.values()]
        directions = [False] + directions
        if any(key not in ("team", "team is null") for key, _ in keys):
            return  # a player's own column beside a group: SQLite's arbitrary row, not an oracle
    else:
        sql = f"select name from players order by {order}"
        values = [tuple(KEYS[key](row) for key, _ in keys) for row in players]
    sql += f" limit {limit}"
    values.sort(key=_sqlite_order(directions))
    expected = ()
    if len(values) > limit:
        more = sum(1 for value in values[limit:] if value == values[limit - 1])
        shown = sum(1 for value in values[:limit] if value == values[limit - 1])
        expected = (more, shown + more) if more else ()
    result = ties(path, sql)
    assert ((result.more, result.total) if result else ()) == expected, (sql, players)


TOP_TEAM = "select team, sum(points) as total from players group by team order by total desc limit 1"


@pytest.mark.asyncio
async def test_the_answer_prompt_and_the_result_carry_the_note_and_its_numbers_count_as_shown(players_db):
    model = ScriptedModel([sql_reply(TOP_TEAM), "Team a scored the most, 7 points, one of 2 teams tied on 7."])
    result = await ask(Datasette([str(players_db)]), "players", "Which team scored the most points?", model=model)
    note = "the query's LIMIT 1 left out 1 more row that ties with the row shown on total (2 rows in all"
    assert any(n.startswith(note) for n in result.notes), result.notes
    answer_prompt = model.calls[-1][-1]["content"]
    assert "Notes: " + note in answer_prompt
    assert result.warnings == (), result.warnings  # "2" is the note's count, stated by the pipeline
    model = ScriptedModel([sql_reply(TOP_TEAM), "Team a scored the most, 7 points, one of 3 teams."])
    result = await ask(Datasette([str(players_db)]), "players", "Which team scored the most points?", model=model)
    assert any("3" in warning for warning in result.warnings), result.warnings  # a count nobody stated


@pytest.mark.asyncio
async def test_no_note_when_the_row_after_the_cut_sorts_otherwise(players_db):
    sql = "select team, sum(points) as total from players group by team order by total desc limit 2"
    model = ScriptedModel([sql_reply(sql), "Teams a and b scored 7 each."])
    result = await ask(Datasette([str(players_db)]), "players", "Which two teams scored the most?", model=model)
    assert not any("tie" in note for note in result.notes), result.notes
    assert "Notes:" not in model.calls[-1][-1]["content"]
