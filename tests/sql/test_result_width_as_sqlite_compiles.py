"""At most MAX_RESULT_COLUMNS result columns (SECURITY.md), with SQLite as the oracle: on generated statements that
nest `*` and `t.*` through derived tables, CTEs and compound SELECTs over tables of generated widths, the guard
accepts a statement only when every SELECT in it returns at most the limit as SQLite compiles it, and accepts every
such statement without a join (`*` is counted as it expands); past the guard, the second wall refuses a result
SQLite compiles wider, whatever the guard counted. Counting a derived table's or a CTE's `*` as a fixed 25 columns
let statements of 300 and 1,600 columns through both walls (an outside tester's mutation run, session 47)."""

from __future__ import annotations

import random
import sqlite3

import pytest
from sql_helpers import FakeDatabase

from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import MAX_RESULT_COLUMNS
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

WIDTHS = (1, 7, MAX_RESULT_COLUMNS // 3, MAX_RESULT_COLUMNS - 1, MAX_RESULT_COLUMNS)
TABLES = {f"w{width}": width for width in WIDTHS}


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    for name, width in TABLES.items():
        connection.execute(f"create table {name} ({', '.join(f'c{i}' for i in range(width))})")
        connection.execute(f"insert into {name} values ({', '.join(['1'] * width)})")
    return connection


def _statement(rng: random.Random) -> tuple[str, list[str], bool]:
    """(statement, the text of every SELECT in it that SQLite can compile alone, whether it has a join)."""
    selects: list[str] = []
    ctes: list[str] = []
    joined = False

    def source(depth: int) -> str:
        kind = rng.choice(["table", "table", "derived", "cte"] if depth < 3 else ["table"])
        if kind == "table":
            return rng.choice(list(TABLES))
        inner = select(depth + 1)
        if kind == "derived":
            return f"({inner})"
        name = f"q{len(ctes)}"
        ctes.append(f"{name} as ({inner})")
        return name

    def select(depth: int) -> str:
        nonlocal joined
        sources = [source(depth) for _ in range(rng.choice([1, 1, 1, 2]))]
        joined = joined or len(sources) > 1
        aliases = [f"s{depth}_{i}" for i in range(len(sources))]
        items = []
        for _ in range(rng.choice([1, 1, 2, 3, 4])):
            shape = rng.choice(["*", "t.*", "t.*", "value"])
            if shape == "*":
                items.append("*")
            elif shape == "t.*":
                items.append(f"{rng.choice(aliases)}.*")
            else:
                items.append(str(rng.randrange(100)))
        text = f"select {', '.join(items)} from " + ", ".join(f"{s} {a}" for s, a in zip(sources, aliases))
        if rng.random() < 0.2:
            text = f"{text} union all {text}"
        selects.append(text)
        return text

    body = select(0)
    with_clause = f"with {', '.join(ctes)} " if ctes else ""
    # each SELECT compiled with the CTEs it may name
    return with_clause + body, [with_clause + text for text in selects], joined


# SQLite compiles no result wider than SQLITE_MAX_COLUMN (2,000 by default): "too many columns in result set".
TOO_WIDE_FOR_SQLITE = 1_000_000


def _width(conn, sql: str) -> int:
    try:
        return len(conn.execute(sql).description)
    except sqlite3.OperationalError as error:
        assert "too many columns" in str(error)
        return TOO_WIDE_FOR_SQLITE


def _statements(count: int) -> list[tuple[str, list[str], bool]]:
    rng = random.Random(47)
    return [_statement(rng) for _ in range(count)]


def test_the_statements_hold_both_verdicts_and_every_kind_of_source(conn):
    widths = [max(_width(conn, text) for text in selects) for _, selects, _ in _statements(300)]
    assert min(widths) <= MAX_RESULT_COLUMNS < max(widths)
    texts = " ".join(sql for sql, _, _ in _statements(300))
    assert all(word in texts for word in ("with q0 as", "from (select", "union all", ".*"))


@pytest.mark.parametrize("number", range(300))
def test_the_guard_counts_the_columns_sqlite_returns(conn, number):
    sql, selects, joined = _statements(300)[number]
    widest = max(_width(conn, text) for text in selects)
    accepted = isinstance(check_select(sql, SchemaInfo.from_connection(conn)), GuardedSQL)
    if accepted:
        assert widest <= MAX_RESULT_COLUMNS, (sql, widest)
    if not joined:  # a `t.*` of a join may be counted as every source's columns: then refused though narrower
        assert accepted == (widest <= MAX_RESULT_COLUMNS), (sql, widest)


@pytest.mark.asyncio
async def test_the_second_wall_refuses_what_sqlite_compiles_wider(conn):
    """run_select alone (the guard not asked): a result wider than the limit is refused, one at it runs."""
    policy_tables = set(TABLES)
    database = FakeDatabase(conn)
    for sql, _, _ in _statements(300)[:60]:
        width = _width(conn, sql)
        if width > MAX_RESULT_COLUMNS:
            with pytest.raises(
                QueryFailed, match="too many columns" if width == TOO_WIDE_FOR_SQLITE else f"has {width} "
            ):
                await run_select(database, sql, allowed_tables=policy_tables, max_rows=5, time_limit_ms=5000)
        else:
            result = await run_select(database, sql, allowed_tables=policy_tables, max_rows=5, time_limit_ms=5000)
            assert len(result.columns) == width
