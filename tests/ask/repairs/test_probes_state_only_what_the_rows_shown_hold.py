"""What the probes of one query read and may spend, from an outside tester's findings (session 55), each against
sqlite3's own reading of the same file:

- the tie note counts rows from the ORDER BY values alone: with whole rows of 100,000-character cells the fetch cap
  stopped the probe after 20 rows, which it took for all there were ("20 rows in all" for 50);
- ORDER BY values the fetch cut (past 100,000 characters) are not compared: two that differ after the cut read as a
  tie;
- every probe asked about one query shares one time budget (each repair had a whole budget of its own);
- `ORDER BY price` after `CAST(price AS REAL) AS price` orders numbers: no numbers-as-text warning;
- the integer-division doubt reads the rows the result shows, not the one more row the guard's LIMIT fetches to
  tell that there are more.
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, probed, sql_reply
from datasette.app import Datasette

import datasette_llm.ask.mend as mend
from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs import integer_division, numbers_as_text, tied_rows
from datasette_llm.ask.repairs.value_hints import Probe


def _file(path, script, rows=()):
    conn = sqlite3.connect(path)
    conn.executescript(script)
    for statement, values in rows:
        conn.executemany(statement, values)
    conn.commit()
    conn.close()
    return path


def test_the_tie_count_is_sqlites_when_the_rows_are_wide(tmp_path):
    path = _file(
        tmp_path / "docs.db",
        "create table docs (id integer primary key, score integer, body text)",
        [("insert into docs values (?, 5, ?)", [(i, chr(65 + i % 26) * 100_000) for i in range(50)])],
    )
    sql = "select body, score from docs order by score desc limit 1"
    ties = probed(path, {"docs"}, tied_rows.tied_rows, sql, 1, 1001)
    with sqlite3.connect(path) as conn:
        (tied,) = conn.execute("select count(*) from docs where score = 5").fetchone()
    assert (ties.more, ties.total, ties.at_least) == (tied - 1, tied, False)


def test_order_by_values_cut_by_the_fetch_are_not_called_a_tie(tmp_path):
    same = "x" * 100_000
    path = _file(
        tmp_path / "long.db",
        "create table t (id integer primary key, v text)",
        [("insert into t values (?, ?)", [(1, same + "a"), (2, same + "b"), (3, "z")])],
    )
    sql = "select id from t order by v limit 1"
    with sqlite3.connect(path) as conn:
        first = conn.execute("select v from t order by v limit 1").fetchone()[0]
        assert conn.execute("select count(*) from t where v = ?", [first]).fetchone() == (1,)  # no tie
    assert probed(path, {"t"}, tied_rows.tied_rows, sql, 1, 1001) is None


@pytest.fixture
def items_db(tmp_path):
    return _file(
        tmp_path / "items.db",
        "create table items (id integer primary key, name text, price text)",
        [("insert into items values (?, ?, ?)", [(1, "a", "99"), (2, "b", "100"), (3, "c", "1500")])],
    )


@pytest.mark.parametrize(
    "sql, warned",
    [
        ("select name, cast(price as real) as price from items order by price desc", False),
        ("select name, price + 0 as price from items order by price desc", False),
        ("select name, price as price from items order by price desc", True),  # the alias is the text column
        ("select name, price as p from items order by p desc", True),
        ("select name, cast(price as real) as price from items order by items.price desc", True),  # the column
        ("select name, row_number() over (order by price) as price from items", True),  # a window reads no alias
    ],
)
def test_an_order_by_alias_is_what_it_names(items_db, sql, warned):
    warnings = probed(items_db, {"items"}, numbers_as_text.numbers_as_text, sql, {"items": ("id", "name", "price")})
    assert bool(warnings) == warned, warnings


@pytest.fixture
def halves_db(tmp_path):
    # v = 4 in the first 1,000 rows, 5 in row 1,001: only the row past the cap has a remainder
    return _file(
        tmp_path / "halves.db",
        "create table t (id integer primary key, v integer)",
        [("insert into t values (?, ?)", [(i, 5 if i == 1001 else 4) for i in range(1, 1002)])],
    )


def test_a_remainder_only_past_the_rows_shown_is_not_doubted(halves_db):
    sql = "select id, v / 2 as half from t limit 1001"  # as the guard writes it for max_rows 1,000
    assert probed(halves_db, {"t"}, integer_division.integer_divisions, sql, 1000) == []
    assert probed(halves_db, {"t"}, integer_division.integer_divisions, sql, 1001) != []
    assert probed(halves_db, {"t"}, integer_division.integer_divisions, sql) != []  # (no count: every row)


@pytest.mark.asyncio
async def test_ask_shows_1000_exact_halves_without_a_doubt_or_a_second_model_call(halves_db):
    model = ScriptedModel([sql_reply("select id, v / 2 as half from t"), "All halves are 2."])
    result = await ask(Datasette([str(halves_db)]), "halves", "What is half of each v?", model=model)
    assert len(result.rows) == 1000 and {row[1] for row in result.rows} == {2}
    assert [a.error_kind for a in result.attempts] == [None]
    assert not any("divides an integer" in note for note in result.notes)


@pytest.mark.asyncio
async def test_the_probes_of_one_query_share_one_budget(tmp_path, monkeypatch):
    """One Probe, so one deadline, for every repair that asks the data about the query that ran."""
    path = _file(
        tmp_path / "shop.db",
        "create table items (id integer primary key, name text, price text, qty integer)",
        [("insert into items values (?, ?, ?, ?)", [(i, f"n{i}", str(i * 7), i % 3) for i in range(1, 40)])],
    )
    made = []

    class Counted(Probe):
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(mend, "Probe", Counted)
    sql = "select name, qty / 2 as half, price from items order by price desc limit 1"
    model = ScriptedModel([sql_reply(sql), sql_reply(sql), "It is n9."])
    result = await ask(Datasette([str(path)]), "shop", "Which item has the highest price?", model=model)
    assert result.rows
    attempts = len(result.attempts)
    assert 1 <= len(made) <= attempts  # one Probe a query that ran (each attempt's own), not one a repair
