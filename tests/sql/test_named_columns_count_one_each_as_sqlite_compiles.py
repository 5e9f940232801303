"""At most MAX_RESULT_COLUMNS result columns (SECURITY.md), and the guard's count is the width SQLite compiles: on
generated statements whose projections mix named columns (`c3`, `t.c3`), expressions, aggregates over `*`
(`count(*)`) and literals with `*` and `t.*`, over one table of a generated width and wrapped in derived tables and
CTEs, the guard accepts a statement exactly when every SELECT in it returns at most the limit as SQLite compiles it
(oracle: `len(cursor.description)`). A named column is one column: counting it as a `t.*` of every source refused
`select c0, c1 from w99` (2 columns) as 198, which the generated `*`/`t.*`/literal statements of
test_result_width_as_sqlite_compiles.py never showed (outside tester's mutation run, session 47)."""

from __future__ import annotations

import random
import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import MAX_RESULT_COLUMNS
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

WIDTHS = (1, 3, MAX_RESULT_COLUMNS // 2, MAX_RESULT_COLUMNS - 1, MAX_RESULT_COLUMNS)
TABLES = {f"n{width}": width for width in WIDTHS}
TOO_WIDE_FOR_SQLITE = 1_000_000


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    for name, width in TABLES.items():
        connection.execute(f"create table {name} ({', '.join(f'c{i}' for i in range(width))})")
        connection.execute(f"insert into {name} values ({', '.join(['1'] * width)})")
    return connection


def _statement(rng: random.Random) -> tuple[str, list[str]]:
    """(statement, the text of every SELECT in it that SQLite compiles alone)."""
    table = rng.choice(list(TABLES))
    width = TABLES[table]
    items = []
    for _ in range(rng.choice([1, 2, 3, 5, 40, 101, 150])):
        shape = rng.choice(["col", "tcol", "expr", "count", "lit", "lit", "*", "t.*"]
                           if rng.random() < 0.1 else ["col", "tcol", "expr", "count", "lit"])  # fmt: skip
        column = f"c{rng.randrange(width)}"
        items.append({"col": column, "tcol": f"t.{column}", "expr": f"{column} + 1", "count": "count(*)",
                      "lit": str(rng.randrange(9)), "*": "*", "t.*": "t.*"}[shape])  # fmt: skip
    inner = f"select {', '.join(items)} from {table} t"
    selects = [inner]
    wrap = rng.choice(["none", "derived", "cte", "both"])
    if wrap == "none":
        return inner, selects
    if wrap == "derived":
        outer = f"select * from ({inner}) d"
        return outer, selects + [outer]
    if wrap == "cte":
        outer = f"with q as ({inner}) select q.* from q"
        return outer, [outer]
    outer = f"with q as ({inner}) select *, 1 from (select * from q) d"
    return outer, [outer]


def _width(conn, sql: str) -> int:
    try:
        return len(conn.execute(sql).description)
    except sqlite3.OperationalError as error:
        assert "too many columns" in str(error) or "duplicate column" in str(error), (sql, error)
        return TOO_WIDE_FOR_SQLITE


STATEMENTS = [_statement(random.Random(4700 + n)) for n in range(200)]


def test_the_statements_hold_both_verdicts(conn):
    widths = [max(_width(conn, text) for text in selects) for _, selects in STATEMENTS]
    narrow = [w for w in widths if w <= MAX_RESULT_COLUMNS]
    assert len(narrow) > 50 and len(widths) - len(narrow) > 20
    # named columns several to a SELECT, at the limit and past it
    assert any(MAX_RESULT_COLUMNS - 70 < w <= MAX_RESULT_COLUMNS for w in narrow)


@pytest.mark.parametrize("number", range(len(STATEMENTS)))
def test_the_guard_accepts_exactly_what_sqlite_compiles_narrow_enough(conn, number):
    sql, selects = STATEMENTS[number]
    widest = max(_width(conn, text) for text in selects)
    result = check_select(sql, SchemaInfo.from_connection(conn))
    accepted = isinstance(result, GuardedSQL)
    assert accepted == (widest <= MAX_RESULT_COLUMNS), (sql, widest, result)
