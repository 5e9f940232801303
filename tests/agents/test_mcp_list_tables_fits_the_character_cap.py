"""MCP `list_tables` is capped like every other tool that can flood an assistant: its result fits in
`query_max_chars` characters, with a note of what was left out, whatever the size of the schema. It returned the
whole schema: 3,000 tables of 60 columns made an 18.4 MB tool result (an outside tester, session 57). Oracle, for
generated schemas and caps: the result fits; a result that fits whole is the whole directory, untouched; every
table the actor may see is accounted for exactly once, in order (listed with its real row count, then named,
then counted); no hidden table's name is in it; the note's figures are the result's."""

import json
import random
import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette

from datasette_llm.agents.schema_api import describe_databases


def make_database(path, tables: int, columns: int, seed: int) -> dict[str, int]:
    rows = {}
    conn = sqlite3.connect(path)
    rng = random.Random(seed)
    for t in range(tables):
        name = f"table_{t:04d}_" + "x" * rng.randrange(0, 30)
        conn.execute(
            f"create table {name} (id integer primary key, " + ", ".join(f"c{j} text" for j in range(columns)) + ")"
        )
        rows[name] = rng.randrange(0, 4)
        conn.executemany(f"insert into {name} (id) values (?)", [(i,) for i in range(rows[name])])
    conn.execute("create table secret_table (id integer primary key, code text)")
    conn.commit()
    conn.close()
    return rows


CASES = [(tables, columns, cap) for tables in (3, 40, 400) for columns in (2, 30) for cap in (1_500, 6_000, 20_000)]


def two_databases(tmp_path, tables: int, columns: int, cap: int) -> tuple[Datasette, dict]:
    """A Datasette of two generated databases capped at `cap` characters, with a table only root may see, and
    each database's tables with their row counts, in order."""
    counts = {}
    paths = []
    for n, size in enumerate((tables, max(1, tables // 3))):
        path = tmp_path / f"db{n}.db"
        counts[path.stem] = make_database(path, size, columns, seed=tables + n)
        paths.append(str(path))
    metadata = {
        "plugins": {"datasette-llm": {"query_max_chars": cap}},
        "databases": {name: {"tables": {"secret_table": {"allow": {"id": "root"}}}} for name in counts},
    }
    return Datasette(paths, metadata=metadata), counts


def assert_a_cut_directory(data: dict, counts: dict, columns: int) -> None:
    """Every table the actor may see accounted for exactly once, in order, over all databases: listed with its real
    row count and its column count only, then named, then counted; the note's figures are the result's."""
    listed = named = left = 0
    stages = []  # over all databases: listed tables first, then named ones, then counted ones
    for database in data["databases"]:
        stages += [0] * len(database["tables"]) + [1] * len(database["more_tables"]) + [2] * database["tables_left_out"]
        expected = list(counts[database["name"]])
        shown = [t["name"] for t in database["tables"]] + database["more_tables"]
        assert shown == expected[: len(shown)]  # in order, each once
        assert database["tables_left_out"] == len(expected) - len(shown)
        for table in database["tables"]:
            assert table["row_count"] == counts[database["name"]][table["name"]]
            assert table["column_count"] == columns + 1
            assert set(table) == {"name", "type", "row_count", "column_count"}  # no types, keys or column names
        listed, named = listed + len(database["tables"]), named + len(database["more_tables"])
        left += database["tables_left_out"]
    total = sum(len(c) for c in counts.values())
    assert data["note"].startswith(f"Showing {listed:,} of {total:,} tables with row counts, {named:,} more by name")
    assert f" and {left:,} counted in tables_left_out" in data["note"]
    assert listed >= 1 and stages == sorted(stages)


@pytest.mark.asyncio
@pytest.mark.parametrize(("tables", "columns", "cap"), random.Random(57).sample(CASES, 9))
async def test_list_tables_fits_the_cap_and_accounts_for_every_table(tmp_path, tables, columns, cap):
    ds, counts = two_databases(tmp_path, tables, columns, cap)
    whole = await describe_databases(ds, None, brief=True)
    result = await mcp_tool(ds, "list_tables", {})
    assert result["isError"] is False
    text = result["content"][0]["text"]
    assert len(text) <= cap and "secret_table" not in text
    data = json.loads(text)
    if len(json.dumps(whole, ensure_ascii=False)) <= cap:
        assert data == {**whole, "truncated": False}
        return
    assert data["truncated"] is True
    assert_a_cut_directory(data, counts, columns)


@pytest.mark.asyncio
async def test_a_large_schema_is_listed_within_the_default_cap(tmp_path):
    path = tmp_path / "wide.db"
    make_database(path, 600, 30, seed=1)
    result = await mcp_tool(Datasette([str(path)]), "list_tables", {"database": "wide"})
    text = result["content"][0]["text"]
    assert len(text) <= 20_000 and json.loads(text)["truncated"] is True
