"""The second wall: the SQLite authorizer and the time limit, tested without the guard in front."""

import hashlib
import time

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.execute import MAX_FETCH_CHARS, QueryFailed, QueryTimeout, run_select


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
async def test_fetching_stops_at_max_fetch_chars_with_whole_rows(db_path):
    """Every caller holds at most about MAX_FETCH_CHARS of rows, whatever the statement makes (Ask keeps its
    rows until the answer is written: four large ones at once took +342 MB at 20,000,000)."""
    datasette = Datasette([str(db_path)])
    big = await run(datasette, "select id, zeroblob(90000) as b, printf('%.*c', 90000, 'x') as t from items")
    per_row = 16 + 90_000 + 90_000
    expected = MAX_FETCH_CHARS // per_row + 1  # the row that passes the cap is kept whole, then fetching stops
    assert len(big.rows) == expected < 100 and big.hit_row_cap and big.stopped_at_chars
    assert all(len(row[1]) == 90_000 and len(row[2]) == 90_000 for row in big.rows)
    assert sum(len(row[1]) + len(row[2]) for row in big.rows) < MAX_FETCH_CHARS + per_row


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
