"""What an ORDER BY term orders by (ask/repairs/order_keys.py), checked against SQLite's own order.

Oracle: for each query, SQLite sorts the rows by the term as written; the expression ordered_value names, evaluated
as an output column of its own, must sort them the same way (ties broken by rowid in both). Written by an outside
tester (attack57m) to kill the mutants of order_keys.py no test noticed: `ORDER BY 1` read as a constant, a plain
column or another alias taken for the alias, a quoted ORDER BY constant crashing.
"""

import sqlite3

import pytest
from sqlglot import exp

from datasette_llm.ask.repairs.order_keys import ordered_value
from datasette_llm.sql.parsing import parse_one

pytestmark = pytest.mark.no_datasette

ROWS = [("pear", "10", 3), ("apple", "9", 1), ("fig", "100", 2), ("Kiwi", "9.5", 5), ("date", "-1", 4)]


@pytest.fixture(scope="module")
def conn():
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (name text, price text, stock integer)")
    conn.executemany("insert into t values (?, ?, ?)", ROWS)
    return conn


CASES = [
    # (output columns, the ORDER BY term, what ordered_value reads it as)
    ("name, price", "1", "name"),
    ("name, price", "2 DESC", "price"),
    ("name, -stock AS neg", "2", "-stock"),
    ("name, price", "price", "price"),
    ("CAST(price AS REAL) AS p, name", "name", "name"),
    ("CAST(price AS REAL) AS p, name", "p", "CAST(price AS REAL)"),
    ('CAST(price AS REAL) AS "P", name', "p DESC", "CAST(price AS REAL)"),
    ("stock AS price, price AS stock", "price", "stock"),  # the alias, not the table's column
    ("stock AS price, name", "t.price", "t.price"),  # qualified: the table's column
    ("stock AS x, -stock AS x, name", "x DESC", "stock"),  # the first such alias
    ("name", "'b'", "'b'"),  # constants order nothing
    ("name", "2.5", "2.5"),
]


@pytest.mark.parametrize("columns, term, expected", CASES)
def test_the_term_is_read_as_sqlite_orders_it(conn, columns, term, expected):
    sql = f"SELECT {columns} FROM t ORDER BY {term}"
    ordered = parse_one(sql).args["order"].expressions[0]
    assert ordered_value(ordered).sql(dialect="sqlite") == expected
    desc = " DESC" if ordered.args.get("desc") else ""
    written = conn.execute(f"SELECT {columns}, rowid AS __r FROM t ORDER BY {term}, __r").fetchall()
    read = conn.execute(
        f"SELECT {columns}, rowid AS __r, ({expected}) AS __k FROM t ORDER BY __k{desc}, __r"
    ).fetchall()
    assert [row[:-1] for row in read] == written


def test_a_window_order_reads_no_position_nor_alias():
    sql = "SELECT stock AS name, row_number() OVER (ORDER BY name) AS n, row_number() OVER (ORDER BY 1) AS m FROM t"
    assert [ordered_value(o).sql(dialect="sqlite") for o in parse_one(sql).find_all(exp.Ordered)] == ["name", "1"]
