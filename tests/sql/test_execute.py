"""The second wall: the SQLite authorizer and the time limit, tested without the guard in front."""

import asyncio
import base64
import ctypes
import hashlib
import random
import sqlite3
import time
from pathlib import Path

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from resource_sql import STEADILY_GROWING, handed_over

from datasette_llm.ask.pipeline import ask
from datasette_llm.context import json_cell, render_cell
from datasette_llm.sql.clipping import CLIP_MARKER, MAX_FETCH_CHARS, blob_size
from datasette_llm.sql.execute import run_select
from datasette_llm.sql.failures import QueryFailed, QueryTimeout
from datasette_llm.sql.memory import hard_heap_limit, memory_used
from datasette_llm.sql.memory_budget import MAX_QUERY_MEMORY_BYTES


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "data.db"
    db = sqlite_utils.Database(path)
    db["items"].insert_all([{"id": i, "name": f"item {i}", "body": "text " * 10} for i in range(2000)], pk="id")
    db["secret"].insert({"id": 1, "code": "hunter2"}, pk="id")
    db["items"].enable_fts(["name", "body"], fts_version="FTS5")
    db.close()
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def run(datasette, sql, allowed=("items",), limit_ms=1000):
    return await run_select(
        datasette.get_database("data"), sql, allowed_tables=set(allowed), max_rows=100, time_limit_ms=limit_ms
    )


UNGUARDED_ATTACKS = [
    "insert into items (name) values ('x')",
    "update items set name = 'x'",
    "delete from items",
    "drop table items",
    "create table t (a)",
    "attach database ':memory:' as other",
    "pragma writable_schema = 1",
    "select load_extension('x')",
    "select code from secret",
    "select * from items where id in (select id from secret)",
    "begin",
    "vacuum",
]


@pytest.mark.asyncio
@pytest.mark.parametrize("sql", UNGUARDED_ATTACKS)
async def test_authorizer_denies_what_the_guard_would_catch(db_path, sql):
    datasette = Datasette([str(db_path)])
    before = digest(db_path)
    with pytest.raises(QueryFailed):
        await run(datasette, sql)
    assert digest(db_path) == before


@pytest.mark.asyncio
async def test_authorizer_allows_reads_of_visible_tables_and_fts(db_path):
    datasette = Datasette([str(db_path)])
    result = await run(datasette, "select count(*) from items")
    assert result.rows == ((2000,),)
    fts = await run(
        datasette, "select rowid from items_fts where items_fts match 'item' limit 3", allowed=("items", "items_fts")
    )
    assert len(fts.rows) == 3
    capped = await run(datasette, "select id from items")
    assert len(capped.rows) == 100 and capped.hit_row_cap
    info = await run(datasette, "select name from pragma_table_info('items')")
    assert ("name",) in info.rows
    assert not capped.stopped_at_chars


@pytest.mark.asyncio
async def test_a_like_or_glob_pattern_is_short_and_the_limit_is_put_back(db_path):
    """A LIKE or GLOB match tries its pattern at each position of the text in one call SQLite cannot interrupt:
    '%' and 20,000 characters against 200,000 took 2.8 s (session 35). Plugin statements take patterns of at most
    MAX_LIKE_PATTERN_BYTES; Datasette's own statements on the connection keep SQLite's limit."""
    from datasette_llm.sql.policy import MAX_LIKE_PATTERN_BYTES

    datasette = Datasette([str(db_path)])
    fits = "%" + "x" * (MAX_LIKE_PATTERN_BYTES - 1)
    assert (await run(datasette, f"select count(*) from items where body like '{fits}'")).rows == ((0,),)
    for operator, wildcard in (("like", "%"), ("glob", "*")):
        pattern = wildcard + "x" * MAX_LIKE_PATTERN_BYTES
        with pytest.raises(QueryFailed, match=f"at most {MAX_LIKE_PATTERN_BYTES} bytes"):
            await run(datasette, f"select count(*) from items where body {operator} '{pattern}'")
    computed = "'%' || replace(hex(zeroblob(5000)), '0', 'a') || 'b'"
    with pytest.raises(QueryFailed, match="pattern too complex"):
        await run(datasette, f"select count(*) from items where body like {computed}")
    # Datasette's own query on its connections: SQLite's limit (50,000) again
    own = await datasette.get_database("data").execute(f"select 'a' like '%' || '{'x' * 20_000}'")
    assert list(own.rows[0]) == [0]


@pytest.mark.asyncio
async def test_fetching_stops_at_max_fetch_chars(db_path):
    """Every caller holds at most about MAX_FETCH_CHARS of rows, whatever the statement makes (Ask keeps its
    rows until the answer is written: four large ones at once took +342 MB at 20,000,000). Whole rows are kept
    until the cap; the row that reaches it has its cells cut to what was left, marked as clipped."""
    datasette = Datasette([str(db_path)])
    big = await run(datasette, "select id, zeroblob(90000) as b, printf('%.*c', 90000, 'x') as t from items")
    per_row = 16 + 90_000 + 90_000
    whole = MAX_FETCH_CHARS // per_row
    assert len(big.rows) == whole + 1 < 100 and big.hit_row_cap and big.stopped_at_chars
    assert all(len(row[1]) == 90_000 and len(row[2]) == 90_000 for row in big.rows[:whole])
    last = big.rows[-1]
    assert len(last[1]) + len(last[2]) < 180_000 and last[2].endswith(CLIP_MARKER) and big.clipped_cells >= 1
    held = sum(16 + len(row[1]) + len(row[2]) for row in big.rows)
    assert MAX_FETCH_CHARS <= held < MAX_FETCH_CHARS + 2 * len(CLIP_MARKER) + 16


@pytest.mark.asyncio
@pytest.mark.parametrize("rows", [19, 20, 21])
async def test_a_result_that_ends_at_the_fetch_cap_is_not_called_cut(db_path, rows):
    """20 rows of 100,000 characters fill MAX_FETCH_CHARS exactly: they were "20 of more than 20 rows" (an outside
    tester, session 36). A result is cut only when a row more exists."""
    datasette = Datasette([str(db_path)])
    result = await run(datasette, f"select printf('%.*c', 100000, 'x') as t from items limit {rows}")
    assert MAX_FETCH_CHARS == 20 * 100_000
    assert len(result.rows) == min(rows, 20) and result.clipped_cells == 0
    assert result.hit_row_cap is result.stopped_at_chars is (rows > 20)


@pytest.mark.asyncio
async def test_a_clipped_blob_keeps_its_size_in_the_database(db_path):
    """A blob longer than a cell holds is fetched cut, and every surface said it was 100,000 bytes long (an outside
    tester, session 36): its JSON and the model's text give its size in the database."""
    datasette = Datasette([str(db_path)])
    result = await run(datasette, "select zeroblob(150016) as b, zeroblob(10) as small")
    blob, small = result.rows[0]
    assert len(blob) == 100_000 and blob_size(blob) == 150_016 and result.clipped_cells == 1
    assert json_cell(blob)["bytes"] == 150_016 and json_cell(blob)["clipped"] is True
    assert base64.b64decode(json_cell(blob)["encoded"]) == bytes(100_000)
    assert json_cell(small) == {"$base64": True, "encoded": base64.b64encode(bytes(10)).decode()}
    assert render_cell(blob, 100)[0] == "<binary, 150016 bytes>"


@pytest.mark.asyncio
@pytest.mark.parametrize("cells", [1, 99])
async def test_one_wide_row_cannot_pass_the_fetch_cap(db_path, cells):
    """One row of 99 cells of 100,000 characters held 9.9 MB: the cap was checked only between rows (an outside
    tester, session 18). Its cells are cut to what the cap leaves, so it holds about MAX_FETCH_CHARS at most."""
    datasette = Datasette([str(db_path)])
    columns = ", ".join(f"hex(zeroblob(50000)) as c{n}" for n in range(cells))
    result = await run(datasette, f"select {columns} from items limit 2")
    held = sum(len(cell) for row in result.rows for cell in row)
    if cells == 1:  # 100,000 characters a row: far below the cap, nothing cut
        assert held == 200_000 and not result.clipped_cells and not result.stopped_at_chars
    else:
        assert len(result.rows) == 1 and result.stopped_at_chars and result.hit_row_cap
        assert held <= MAX_FETCH_CHARS + cells * len(CLIP_MARKER)
        assert result.clipped_cells == cells - MAX_FETCH_CHARS // 100_000  # the first 20 cells fill the cap


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sql",
    [
        "with recursive bomb(x) as (select 1 union all select x + 1 from bomb) select count(*) from bomb",
        "select count(*) from items a, items b, items c",
    ],
)
async def test_expensive_queries_end_at_the_time_limit(db_path, sql):
    datasette = Datasette([str(db_path)])
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        await run(datasette, sql, limit_ms=300)
    assert time.monotonic() - started < 3
    assert "time limit of 300 ms" in info.value.message


def peak_rss_mb_since_reset() -> float:
    """This process's peak resident memory since `reset_peak_rss()` (Linux: /proc/self/status VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def sqlite_peak_mb(reset: bool = False) -> float:
    """SQLite's own peak of memory held (sqlite3_memory_highwater), in MB; with `reset`, it starts again from now."""
    from datasette_llm.sql.memory import _library

    library = _library()
    library.sqlite3_memory_highwater.restype, library.sqlite3_memory_highwater.argtypes = ctypes.c_int64, [ctypes.c_int]
    return library.sqlite3_memory_highwater(int(reset)) / 2**20


def reset_peak_rss() -> float:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
    return peak_rss_mb_since_reset()


GROWING_AGGREGATES = [
    # SQLite's length limit is checked when these aggregates end, not while they grow (SQLite 3.40): about
    # 300 MB a second here, until the time limit.
    "with recursive c(x) as (select 1 union all select x + 1 from c) "
    "select length(json_group_array(v)) from (select printf('%1000s', x) as v from c)",
    "with recursive c(x) as (select 1 union all select x + 1 from c) "
    "select length(json_group_object(x, v)) from (select x, substr(hex(zeroblob(499999)), 1, 999990) as v from c)",
    # 99 such aggregates in one SELECT grow by 99 MB a row, faster than the check every 1,000 instructions sees
    # (an outside attacker's statement: 5-15 times the budget, until SQLite's hard heap limit was set too).
    "with recursive r(i) as (select 1 union all select i + 1 from r where i < 20) select "
    + ", ".join(f"length(json_group_array(hex(zeroblob(400000)) || {n}))" for n in range(99))
    + " from r",
]


@pytest.mark.asyncio
@pytest.mark.parametrize("sql", GROWING_AGGREGATES)
async def test_a_statement_stops_at_its_memory_budget(db_path, sql):
    """Three at once, with a time limit long enough to take gigabytes: each stops with a clear error, and the
    process holds about the budget (64 MB), not three times it: statements running at once share it."""
    if memory_used() is None:
        pytest.skip("SQLite's memory counter is not reachable in this Python")
    datasette = Datasette([str(db_path)], settings={"num_sql_threads": 4})
    sqlite_peak_mb(reset=True)
    sqlite_before = memory_used()() / 2**20
    baseline = reset_peak_rss()
    started = time.monotonic()
    outcomes = await asyncio.gather(*(run(datasette, sql, limit_ms=8000) for _ in range(3)), return_exceptions=True)
    assert time.monotonic() - started < 6
    assert all(isinstance(o, QueryFailed) and "MB of memory" in o.message for o in outcomes), outcomes
    # SQLite's own peak in the message: a process peak over the bound with SQLite's within it is another
    # allocator's (session 26: once, 168 MB in the whole suite on a loaded machine; 24-96 MB alone)
    grown = peak_rss_mb_since_reset() - baseline
    sqlite_grown = sqlite_peak_mb() - sqlite_before
    assert sqlite_grown < 1.25 * MAX_QUERY_MEMORY_BYTES / 2**20  # SQLite itself: the budget, shared by the three
    assert grown < 2.5 * MAX_QUERY_MEMORY_BYTES / 2**20, (
        f"process +{grown:.0f} MB, SQLite's peak +{sqlite_grown:.0f} MB"
    )
    assert hard_heap_limit() is None or hard_heap_limit()(-1) == 0  # SQLite's own limit is back to none
    assert (await run(datasette, "select count(*) from items")).rows == ((2000,),)


# 99 aggregates that grow about 0.8 MB a row together: slow enough to start another statement part way.
@pytest.mark.asyncio
async def test_statements_started_one_after_another_share_one_budget(db_path):
    """Statements started each while the one before holds most of the budget (two at a time, the plugin's slots
    with Datasette's 3 threads): SQLite's peak stays near the budget. Before session 37 a statement's budget
    counted from when it started, so when the one before stopped, the next had the budget on top of what that
    one had held: 164 MB of a 64 MB budget in 12 statements."""
    if memory_used() is None:
        pytest.skip("SQLite's memory counter is not reachable in this Python")
    datasette = Datasette([str(db_path)])
    sqlite_peak_mb(reset=True)
    sqlite_before = memory_used()() / 2**20
    outcomes = await handed_over(lambda: run(datasette, STEADILY_GROWING, limit_ms=20000))
    assert all(isinstance(o, QueryFailed) and "MB of memory" in o.message for o in outcomes), outcomes
    sqlite_grown = sqlite_peak_mb() - sqlite_before
    assert sqlite_grown < 1.25 * MAX_QUERY_MEMORY_BYTES / 2**20, f"SQLite's peak +{sqlite_grown:.0f} MB"


def test_a_floor_shared_by_statements_started_together_is_not_held_for_ever():
    """Statements that start together share the first one's floor; one that starts later takes SQLite's count
    then, and when a statement leaves, the others' starts come down to the count once it has freed its memory.
    Taking the first floor for as long as any statement ran held it while Datasette's page caches grew under steady
    load, and the process-wide hard limit failed Datasette's own pages (a second outside tester, session 37)."""
    from datasette_llm.sql.memory_budget import SHARED_START_SECONDS, MemoryFloor

    if memory_used() is None:
        pytest.skip("SQLite's memory counter is not reachable in this Python")
    floor, base, mb = MemoryFloor(), memory_used()(), 2**20
    try:
        floor.enter(1, base)
        floor.enter(2, base + 10 * mb)  # started together: the first one's floor
        assert floor.starts[2] == base
        time.sleep(SHARED_START_SECONDS + 0.05)
        floor.enter(3, base + 50 * mb)  # later: the count then (page caches grew meanwhile)
        assert floor.starts[3] == base + 50 * mb and floor.floor == base
        floor.leave(1, base + 50 * mb)
        floor.leave(2, base + 50 * mb)
        assert floor.floor == base + 50 * mb  # no floor held from before the caches grew
        floor.enter(4, base + 90 * mb)  # started while 3 held 40 MB, after the shared start
        floor.leave(3, base + 55 * mb)  # 3 freed what it held: 4's start comes down to the count then
        assert floor.starts[4] == base + 55 * mb
    finally:
        for key in list(floor.starts):
            floor.leave(key)
    assert floor.floor is None and (hard_heap_limit() is None or hard_heap_limit()(-1) == 0)


def test_a_statement_that_leaves_takes_what_it_held_out_of_later_starts():
    """A statement started after the shared start, while another held 30 MB, has that 30 MB in its start; when the
    other leaves, having freed it, the start comes down by it, not only to SQLite's count then (which holds the
    later statement's own growth): handed over so, two statements reached 1.45 times the budget and three 1.67
    (a third outside tester, session 37). A statement that entered before it keeps its start."""
    from datasette_llm.sql.memory_budget import SHARED_START_SECONDS, MemoryFloor

    if memory_used() is None:
        pytest.skip("SQLite's memory counter is not reachable in this Python")
    floor, base, mb = MemoryFloor(), memory_used()(), 2**20
    try:
        floor.enter(0, base)  # older than the one that leaves
        floor.enter(1, base + 2 * mb)
        time.sleep(SHARED_START_SECONDS + 0.05)
        floor.enter(2, base + 32 * mb)  # while 1 held 30 MB
        floor.leave(1, base + 28 * mb, held=30 * mb)  # 1 freed 30 MB; 2 has grown 26 MB meanwhile
        assert floor.starts == {0: base, 2: base + 2 * mb}
    finally:
        for key in list(floor.starts):
            floor.leave(key)
    assert floor.floor is None


@pytest.mark.asyncio
async def test_datasettes_own_reads_do_not_fail_while_a_plugin_statement_runs(tmp_path):
    """While a plugin statement runs, SQLite's hard heap limit stands at its floor + 64 MB for the whole process:
    Datasette's own reads filling page caches then failed with a MemoryError (a third outside tester, session 37:
    1,510 of 2,870 pages over 20 databases; so on the code before this session too). Page caches stop growing
    below it now (SQLite's soft heap limit) and reuse their pages."""
    if memory_used() is None or hard_heap_limit() is None:
        pytest.skip("SQLite's memory limits are not reachable in this Python")
    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    conn.execute("create table big (x text)")
    conn.executemany("insert into big values (?)", [(f"{n:08d}" * 1000,) for n in range(12000)])  # 96 MB
    conn.commit()
    conn.close()
    datasette = Datasette([str(path)])
    db = datasette.get_database("big")
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    running = asyncio.ensure_future(run_select(db, endless, allowed_tables={"big"}, max_rows=1, time_limit_ms=20000))
    await asyncio.sleep(0.3)

    def scan(conn):  # a connection whose page cache may hold the whole file, as a busy instance's caches do
        conn.execute("pragma cache_size = -200000")
        return conn.execute("select max(x), count(*) from big").fetchone()[1]

    try:
        assert not running.done()
        for _ in range(2):
            assert await db.execute_fn(scan) == 12000
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


def nested_ctes(salt: int, levels: int = 9) -> str:
    """About 1 KB that SQLite compiles to about 5.8 MB: each CTE, not materialized, reads the one before three times
    (an outside tester's statement, session 37)."""
    ctes = [f"c0 AS (SELECT {salt} AS x, 1 AS y WHERE 0)"]
    for i in range(1, levels + 1):
        ctes.append(f"c{i} AS NOT MATERIALIZED (" + " UNION ALL ".join([f"SELECT x, y FROM c{i - 1}"] * 3) + ")")
    return "WITH " + ", ".join(ctes) + f" SELECT count(*) FROM c{levels} WHERE 0"


@pytest.mark.asyncio
async def test_statements_that_have_ended_hold_no_memory(db_path):
    """One statement after another, each compiled to megabytes: SQLite holds no more after them than before. Python
    kept each compiled program (and its EXPLAIN) in the connection's cache of 128, where no budget counted it: one
    client's 220 such requests left a server holding 2 GB (session 37)."""
    if memory_used() is None:
        pytest.skip("SQLite's memory counter is not reachable in this Python")
    datasette = Datasette([str(db_path)])
    await run(datasette, "select 1")
    before = memory_used()() / 2**20
    for salt in range(20):
        assert (await run(datasette, nested_ctes(salt, levels=8))).rows == ((0,),)  # about 2 MB each
    held = memory_used()() / 2**20 - before
    assert held < 16, f"SQLite holds +{held:.0f} MB after the statements ended"


def process_cpu_seconds_in(seconds: float) -> float:
    started = time.process_time()
    time.sleep(seconds)
    return time.process_time() - started


@pytest.mark.asyncio
async def test_a_statement_stops_when_its_request_is_cancelled(db_path):
    """Requests given up (their clients left: web/disconnect.py cancels them) stop their statements, the running
    ones and those waiting for a thread: no CPU after. Before session 37 each ran on to its time limit (an outside
    tester: 12 clients that left at 0.4 s, 5.4 s of CPU after)."""
    datasette = Datasette([str(db_path)])
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    tasks = [asyncio.ensure_future(run(datasette, endless, limit_ms=8000)) for _ in range(4)]
    await asyncio.sleep(0.5)
    assert not any(task.done() for task in tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.3)  # the progress handlers' next checks
    cpu = await asyncio.to_thread(process_cpu_seconds_in, 1.0)
    assert cpu < 0.3, f"{cpu:.2f} s of CPU in the second after the requests were given up"
    assert (await run(datasette, "select count(*) from items")).rows == ((2000,),)


@pytest.mark.asyncio
async def test_generated_statements_stay_within_time_and_memory(db_path):
    """The resource promise on statements nobody chose (tests/resource_sql.py), through the query API (both
    walls): each is refused or ends within the time limit (plus scheduling), and the process never holds more
    than 256 MB above where it started. (The second wall alone does not bound printf('%.*c', 2000000000, 'x'):
    10 s inside one SQLite step, where no time limit can stop it; the guard refuses its width.) A statement over a
    bound is sent once more and must keep within it then: a statement that overruns does so every time, while
    other processes on a shared machine once took one of these past 3 s (3.09 s, session 46)."""
    from urllib.parse import quote

    from resource_sql import generated_statement

    datasette = Datasette([str(db_path)])

    async def send(sql: str):
        baseline = reset_peak_rss()
        started = time.monotonic()
        response = await datasette.client.get(f"/-/llm/query.json?database=data&sql={quote(sql)}")
        return response, time.monotonic() - started, peak_rss_mb_since_reset() - baseline

    rng = random.Random(20261201)
    outcomes = {}
    for _ in range(24):
        sql = generated_statement(rng, "items", "body")
        response, seconds, grew = await send(sql)
        if seconds >= 3 or grew >= 256:
            response, seconds, grew = await send(sql)
        assert response.status_code in (200, 400) and seconds < 3 and grew < 256, (sql, response.text, seconds, grew)
        outcome = response.json().get("code", "ran")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert len(outcomes) >= 3, outcomes  # the statements do different things: not all refused alike


@pytest.mark.asyncio
async def test_ask_reports_a_cte_bomb_clearly(db_path):
    bomb = "with recursive bomb(x) as (select 1 union all select x + 1 from bomb) select count(*) from bomb"
    model = ScriptedModel([sql_reply(bomb)] * 3)  # the repeat is resampled once, and is the bomb again
    datasette = Datasette([str(db_path)], settings={"sql_time_limit_ms": 200})
    result = await ask(datasette, "data", "Count forever", model=model, attempts=2)
    assert not result.ok and result.attempts[0].error_kind == "query_timeout"
    assert "time limit" in result.error


@pytest.mark.asyncio
async def test_schema_table_reads_leak_nothing_and_schema_writes_do_nothing(db_path):
    datasette = Datasette([str(db_path)])
    # The guard rejects this too; past it, the authorizer reads NULL and the program check refuses the b-tree.
    with pytest.raises(QueryFailed):
        await run(datasette, "select name, sql from sqlite_master")
    before = digest(db_path)
    with pytest.raises(QueryFailed):
        await run(datasette, "update sqlite_master set sql = 'x'")
    assert digest(db_path) == before


@pytest.mark.asyncio
async def test_pragma_functions_cannot_describe_hidden_tables(db_path):
    datasette = Datasette([str(db_path)])
    with pytest.raises(QueryFailed):
        await run(datasette, "select name from pragma_table_info('secret')")
    with pytest.raises(QueryFailed):
        await run(datasette, "select name from pragma_table_list")


@pytest.mark.asyncio
async def test_the_plugins_own_reads_of_rows_read_only_the_actors_tables(tmp_path):
    """read_as_actor (passages, named rows): a table or a view of one the actor may not see is refused, a count of
    its rows too (make_authorizer leaves reads of no column to the program check run_select does; these reads
    have none: a second outside tester, session 33)."""
    import sqlite3

    from datasette_llm.sql.execute import read_as_actor

    path = tmp_path / "own.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table pub (id integer primary key, body text); insert into pub values (1, 'visible');"
        "create table secret (id integer primary key, code text); insert into secret values (1, 'hunter2');"
        "create view pub_count as select (select count(*) from secret) as n;"
    )
    conn.close()
    db = Datasette([str(path)]).get_database("own")

    def read(sql):
        return read_as_actor(db, {"pub", "pub_count"}, lambda c: [tuple(r) for r in c.execute(sql)], 1000)

    assert await read("select body from pub") == [("visible",)]
    assert await read("select count(*) from pub") == [(1,)]
    for sql in (
        "select code from secret",
        "select count(*) from secret",
        "select (select count(*) from secret)",
        "select exists (select 1 from secret)",
        "select n from pub_count",
    ):
        with pytest.raises(QueryFailed):
            await read(sql)
