"""`t.*` in a join is the columns of `t` alone (result_width.py: the sources named like the qualifier): on generated
joins of tables of generated widths whose projections are only `alias.*` and literals, the guard accepts a statement
exactly when SQLite compiles it at most MAX_RESULT_COLUMNS wide (oracle: `len(cursor.description)`). Counting every
source for a `t.*` that names one refused `select b.* from n100 a, n1 b` (1 column) as 101 (outside tester's
mutation run, session 47)."""

from __future__ import annotations

import random
import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import MAX_RESULT_COLUMNS
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

WIDTHS = (1, 9, MAX_RESULT_COLUMNS // 2, MAX_RESULT_COLUMNS - 1, MAX_RESULT_COLUMNS)
TABLES = {f"j{width}": width for width in WIDTHS}


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    for name, width in TABLES.items():
        connection.execute(f"create table {name} ({', '.join(f'c{i}' for i in range(width))})")
    return connection


def _statement(rng: random.Random) -> str:
    sources = [rng.choice(list(TABLES)) for _ in range(rng.choice([2, 2, 3]))]
    aliases = [f"a{i}" for i in range(len(sources))]
    items = [f"{rng.choice(aliases)}.*" if rng.random() < 0.7 else "1" for _ in range(rng.choice([1, 1, 2, 3]))]
    body = f"select {', '.join(items)} from " + ", ".join(f"{s} {a}" for s, a in zip(sources, aliases))
    return body if rng.random() < 0.6 else f"select * from ({body}) d"


STATEMENTS = [_statement(random.Random(4711 + n)) for n in range(150)]


def test_the_statements_hold_both_verdicts(conn):
    widths = [len(conn.execute(sql).description) for sql in STATEMENTS]
    assert sum(w <= MAX_RESULT_COLUMNS for w in widths) > 30 and sum(w > MAX_RESULT_COLUMNS for w in widths) > 15


@pytest.mark.parametrize("number", range(len(STATEMENTS)))
def test_a_qualified_star_counts_its_own_source(conn, number):
    sql = STATEMENTS[number]
    width = len(conn.execute(sql).description)
    result = check_select(sql, SchemaInfo.from_connection(conn))
    assert isinstance(result, GuardedSQL) == (width <= MAX_RESULT_COLUMNS), (sql, width, result)
