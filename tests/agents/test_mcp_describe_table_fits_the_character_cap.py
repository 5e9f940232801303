"""MCP `describe_table` fits `query_max_chars` characters like every other tool, however wide the table: a table of
2,000 columns was described in 215,011 characters, ten times the cap (session 57). Oracle, for generated widths and
caps: the result fits; a description that fits whole is the whole one, untouched; the example rows give way first;
then every column is accounted for exactly once, in the table's order (whole with its type as SQLite declares it,
then by name, then counted); the note's figures are the result's."""

import json
import random
import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette

from datasette_llm.agents.schema_api import describe_table


def make_table(path, columns: int) -> list[tuple[str, str]]:
    rng = random.Random(columns)
    declared = [
        (f"column_{i}_" + "w" * rng.randrange(0, 20), rng.choice(["TEXT", "INTEGER", "REAL", ""]))
        for i in range(columns)
    ]
    conn = sqlite3.connect(path)
    conn.execute("create table wide (id integer primary key, " + ", ".join(f"{n} {t}" for n, t in declared) + ")")
    conn.execute("insert into wide (id) values (1)")
    conn.commit()
    conn.close()
    with sqlite3.connect(path) as conn:
        return [(row[1], row[2] or None) for row in conn.execute("pragma table_info(wide)")]


CASES = [(columns, cap) for columns in (5, 300, 1999) for cap in (1_500, 6_000, 20_000)]


@pytest.mark.asyncio
@pytest.mark.parametrize(("columns", "cap"), random.Random(57).sample(CASES, 6))
async def test_describe_table_fits_the_cap_and_accounts_for_every_column(tmp_path, columns, cap):
    path = tmp_path / "wide.db"
    declared = make_table(path, columns)
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"query_max_chars": cap}}})
    whole = await describe_table(ds, None, None, "wide")
    result = await mcp_tool(ds, "describe_table", {"table": "wide"})
    assert result["isError"] is False
    text = result["content"][0]["text"]
    assert len(text) <= cap
    data = json.loads(text)
    if len(json.dumps(whole, ensure_ascii=False, default=str)) <= cap:
        assert data == json.loads(json.dumps({**whole, "truncated": False}, default=str))
        return
    assert data["truncated"] is True and data["example_rows"] is None
    if "columns_left_out" not in data:  # the example rows gave way, and that was enough
        assert data["note"].startswith("The example rows were left out") and data["columns"] == whole["columns"]
        return
    names = [name for name, _ in declared]
    shown = [c["name"] for c in data["columns"]] + data["more_columns"]
    assert shown == names[: len(shown)] and data["columns_left_out"] == len(names) - len(shown)
    assert [(c["name"], c["type"]) for c in data["columns"]] == declared[: len(data["columns"])]
    listed, named = len(data["columns"]), len(data["more_columns"])
    assert data["note"].startswith(f"Showing {listed:,} of {len(names):,} columns with their types, {named:,} more")
    assert f"and {data['columns_left_out']:,} counted in columns_left_out" in data["note"]


@pytest.mark.asyncio
async def test_a_table_of_two_thousand_columns_is_described_within_the_default_cap(tmp_path):
    path = tmp_path / "wide.db"
    make_table(path, 1999)
    result = await mcp_tool(Datasette([str(path)]), "describe_table", {"table": "wide"})
    text = result["content"][0]["text"]
    assert len(text) <= 20_000 and json.loads(text)["truncated"] is True
