"""A division of two integers in what the query shows (ask/repairs/integer_division.py): one probe checks the
divisions the outermost SELECT shows "up to 8" (MAX_DIVISIONS). A query the model writes with more columns than
that costs no more: the probe's flags stop at 8 and a ninth division is not doubted. No test held the cap: a
probe of every division passed them all.
"""

import sqlite3

from ask_helpers import probed

from datasette_llm.ask.repairs.integer_division import MAX_DIVISIONS, integer_divisions, plan


def _database(path):
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key, even integer, odd integer)")
    conn.executemany("insert into t values (?, ?, ?)", [(1, 4, 5), (2, 8, 7)])
    conn.commit()
    conn.close()
    return path


# eight divisions that drop nothing (distinct, so none is read twice), then one that does
EXACT = [f"even / {d}" for d in (1, 2, 4)] + [f"(even + {n}) / 2" for n in (0, 2, 4, 6, 8)]
SQL = "select " + ", ".join(EXACT + ["odd / 2"]) + " from t"


def test_the_probe_flags_at_most_eight_divisions():
    assert MAX_DIVISIONS == 8
    probe_sql, written = plan(SQL)
    assert len(written) == MAX_DIVISIONS
    assert [division for division, _ in written] == EXACT
    assert probe_sql.count("__integer_division_") == 2 * MAX_DIVISIONS  # each flag named once inside, once by MAX


def test_a_ninth_division_is_not_doubted(tmp_path):
    path = _database(tmp_path / "t.db")
    assert probed(path, ("t",), integer_divisions, SQL) == []
    # within the cap, the same division is doubted
    assert len(probed(path, ("t",), integer_divisions, "select even / 2, odd / 2 from t")) == 1


def test_a_division_shown_twice_is_doubted_once(tmp_path):
    """The same division in two columns (or twice in one) is one doubt, once in the probe (f8d0c66: kept once
    through a set); two copies of the same advice sent back to the model were the same words twice."""
    path = _database(tmp_path / "t.db")
    sql = "select odd / 2, odd / 2 + 1, (odd / 2) * (odd / 2) from t"
    probe_sql, written = plan(sql)
    assert [division for division, _ in written] == ["odd / 2"]
    assert len(probed(path, ("t",), integer_divisions, sql)) == 1
