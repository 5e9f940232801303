"""Generated statements for the resource promise: composed at random from SQLite's ways to make a big value
(zeroblob, randomblob, hex, replace, ||, printf widths, JSON), many rows (cross joins, recursive CTEs) and work
that holds them (sorting, DISTINCT, GROUP BY, aggregates, window frames). Whatever composition an attacker finds,
a statement must end within the time limit and hold bounded memory: tests/sql/test_execute.py runs them on the
second wall, `benchmarks/attack.py --generated N` over HTTP against a live server.
"""

from __future__ import annotations

GEN_SIZES = (10, 1_000, 100_000, 999_000, 1_000_001, 100_000_000, 2_000_000_000)
GEN_ROWS = (1_000, 100_000, 10_000_000, 1_000_000_000)


def generated_value(rng, column: str, depth: int) -> str:
    """An expression that may be large: a leaf, or a wrapper that multiplies the size of what it wraps."""
    size = rng.choice(GEN_SIZES)
    if depth <= 0 or rng.random() < 0.3:
        return rng.choice(
            [
                f"zeroblob({size})",
                f"randomblob({size})",
                column,
                f"printf('%.*c', {size}, 'x')",
                f"printf('%{min(size, 1000)}s', {column})",
                f"substr(hex(zeroblob({size})), 1, {size})",
                f"char({rng.randint(32, 0x10FFFF)})",
            ]
        )
    inner = generated_value(rng, column, depth - 1)
    other = generated_value(rng, column, depth - 1)
    return rng.choice(
        [
            f"hex({inner})",
            f"({inner} || {other})",
            f"replace({inner}, '{rng.choice('0aX')}', '{'0' * rng.choice((2, 10, 1000))}')",
            f"upper({inner})",
            f"quote({inner})",
            f"json_array({inner}, {other})",
            f"json_quote({inner})",
            f"substr({inner}, {rng.randint(1, 10)}, {size})",
            f"zeroblob(length({inner}) * {rng.choice((2, 1000, 1_000_000))})",
            f"printf('%s%s', {inner}, {other})",
            f"trim({inner})",
            f"trim({inner}, {other})",  # refused: a character set is a short literal (session 35)
            f"rtrim({inner}, 'x0{rng.choice('aX')}')",
            f"instr({inner}, {other})",  # refused unless the needle is short by construction (session 35)
            f"replace({inner}, {other}, 'x')",
            f"cast({inner} AS TEXT)",
        ]
    )


def generated_source(rng, table: str, column: str) -> tuple[str, str, str]:
    """(WITH clause or "", FROM clause, a column of it)."""
    kind = rng.randrange(4)
    if kind == 0:
        joins = rng.randint(1, 5)
        aliases = [f"t{i}" for i in range(joins)]
        return "", ", ".join(f"{table} {alias}" for alias in aliases), f"{aliases[-1]}.{column}"
    rows = rng.choice(GEN_ROWS)
    if kind == 1:
        return f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) ", "c", "x"
    if kind == 2:  # UNION: SQLite keeps every row seen to drop duplicates
        return f"WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x + 1 FROM c WHERE x < {rows}) ", "c", "x"
    steps = rng.choice((10, 20, 40, 80))
    return (
        f"WITH RECURSIVE c(n, s) AS (SELECT 0, 'ab' UNION ALL SELECT n + 1, s || s FROM c WHERE n < {steps}) ",
        "c",
        "s",
    )


def generated_statement(rng, table: str, column: str) -> str:
    """One statement; `table` is a small visible table with a text `column`."""
    with_clause, source, column = generated_source(rng, table, column)
    value = generated_value(rng, column, rng.randint(0, 3))
    shape = rng.randrange(9)
    limit = f" LIMIT {rng.choice((1, 1000, 100000))}" if rng.random() < 0.3 else ""
    body = [
        f"SELECT {value} AS v FROM {source}{limit}",
        f"SELECT count(*), max(length(v)) FROM (SELECT {value} AS v FROM {source})",
        f"SELECT length(group_concat(v)) FROM (SELECT {value} AS v FROM {source})",
        f"SELECT length(json_group_array(v)) FROM (SELECT {value} AS v FROM {source})",
        f"SELECT DISTINCT {value} AS v FROM {source}{limit}",
        f"SELECT {value} AS v FROM {source} ORDER BY {rng.choice(('v', 'random()', '1'))}{limit}",
        f"SELECT v, count(*) FROM (SELECT {value} AS v FROM {source}) GROUP BY v{limit}",
        f"SELECT length(group_concat(v) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) FROM "
        f"(SELECT {value} AS v FROM {source}){limit}",
        f"SELECT {value} AS v, {generated_value(rng, column, 1)} AS w FROM {source}{limit}",
    ][shape]
    return with_clause + body


# 99 aggregates that grow together, about 300 MB a second: SQLite's count doubles in steps until the budget stops it.
STEADILY_GROWING = (
    "with recursive r(i) as (select 1 union all select i + 1 from r where i < 100000) select "
    + ", ".join(f"length(json_group_array(hex(zeroblob(4000)) || {n}))" for n in range(99))
    + " from r"
)


async def handed_over(start, statements: int = 12, at_once: int = 2, seconds: float = 40) -> list:
    """The outcomes of `statements` growing statements (`start()` returns one's awaitable), `at_once` at a time,
    each started once SQLite holds 70% of the memory budget above the floor: each hands the budget on to the next
    (tests/sql/test_execute.py, benchmarks/memory_budget.py)."""
    import asyncio
    import time

    from datasette_llm.sql import memory_budget
    from datasette_llm.sql.memory import memory_used
    from datasette_llm.sql.memory_budget import MAX_QUERY_MEMORY_BYTES

    used, floor = memory_used(), memory_budget.MEMORY_FLOOR  # the floor only tells when to start the next
    tasks = []
    deadline = time.monotonic() + seconds
    while len(tasks) < statements and time.monotonic() < deadline:
        while sum(not t.done() for t in tasks) >= at_once:
            await asyncio.sleep(0.0005)
        running = len(floor.starts)
        tasks.append(asyncio.ensure_future(start()))
        while len(floor.starts) <= running and not tasks[-1].done():
            await asyncio.sleep(0.0002)
        while not tasks[-1].done() and time.monotonic() < deadline:
            lowest = floor.floor
            if lowest is not None and used() - lowest >= 0.7 * MAX_QUERY_MEMORY_BYTES:
                break
            await asyncio.sleep(0.0005)
    return await asyncio.gather(*tasks, return_exceptions=True)
