"""`/-/llm/schema.json`, which the OpenAPI spec tells a model to call first, fits `query_max_chars` characters like the
query API and the MCP tools: it gave the whole schema, however large (left open in session 58; 600 tables of 30
columns were 1,449,142 characters). Oracle, for generated schemas and caps: the body fits; a listing that fits whole
is the whole description, untouched; past the cap column types and keys go first (every table's column names still
listed, in order), then the directory is cut as MCP `list_tables` cuts it: every table the actor may see accounted
for exactly once, in order, listed with its real row count, then named, then counted; no hidden table's name; the
note's figures are the body's; every body validates against the published spec, closed. One table (`table=`) of up
to 1,999 columns fits too, its columns accounted for in order."""

import json
import random

import pytest
from datasette.app import Datasette
from jsonschema import Draft202012Validator
from spec_helpers import strict
from test_mcp_describe_table_fits_the_character_cap import make_table
from test_mcp_list_tables_fits_the_character_cap import assert_a_cut_directory, make_database, two_databases

from datasette_llm.agents.schema_api import describe_databases, describe_table

CASES = [(tables, columns, cap) for tables in (3, 40, 400) for columns in (2, 30) for cap in (1_500, 6_000, 20_000)]


async def valid_body(ds, params: dict) -> dict:
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    response = await ds.client.get("/-/llm/schema.json", params=params)
    assert response.status_code == 200
    schema = spec["paths"]["/-/llm/schema.json"]["get"]["responses"]["200"]["content"]["application/json"]
    errors = list(
        Draft202012Validator(strict(schema["schema"], spec["components"]["schemas"])).iter_errors(response.json())
    )
    assert not errors, [e.message for e in errors][:3]
    return response


@pytest.mark.asyncio
@pytest.mark.parametrize(("tables", "columns", "cap"), random.Random(59).sample(CASES, 10))
async def test_the_schema_listing_fits_the_cap_and_accounts_for_every_table(tmp_path, tables, columns, cap):
    ds, counts = two_databases(tmp_path, tables, columns, cap)
    whole = json.loads(json.dumps(await describe_databases(ds, None), default=str))
    response = await valid_body(ds, {})
    assert len(response.text) <= cap and "secret_table" not in response.text
    data = response.json()
    if len(json.dumps(whole, ensure_ascii=False)) <= cap:
        assert data == {**whole, "truncated": False}
        return
    assert data["truncated"] is True
    if "more_tables" not in data["databases"][0]:  # types and keys gave way, and that was enough
        assert data["note"].startswith(f"Column types and keys are left out to fit in {cap:,} characters")
        for database, described in zip(data["databases"], whole["databases"], strict=True):
            assert [t["name"] for t in database["tables"]] == [t["name"] for t in described["tables"]]
            for table, full in zip(database["tables"], described["tables"], strict=True):
                assert table["columns"] == [c["name"] for c in full["columns"]]
                assert table["row_count"] == full["row_count"]
                assert set(table) == {"name", "type", "row_count", "columns"}  # types and keys left out
        return
    assert_a_cut_directory(data, counts, columns)
    assert "table= (with database=)" in data["note"]


@pytest.mark.asyncio
@pytest.mark.parametrize(("columns", "cap"), [(5, 1_500), (300, 6_000), (1999, 20_000), (1999, 1_500)])
async def test_one_tables_description_fits_the_cap_and_accounts_for_every_column(tmp_path, columns, cap):
    path = tmp_path / "wide.db"
    declared = make_table(path, columns)
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"query_max_chars": cap}}})
    whole = await describe_table(ds, None, None, "wide", example_rows=False)
    response = await valid_body(ds, {"database": "wide", "table": "wide"})
    assert len(response.text) <= cap
    data = response.json()
    if len(json.dumps(whole, ensure_ascii=False, default=str)) <= cap:
        assert data == {**whole, "truncated": False}
        return
    names = [name for name, _ in declared]
    shown = [c["name"] for c in data["columns"]] + data["more_columns"]
    assert data["truncated"] is True and shown == names[: len(shown)]
    assert data["columns_left_out"] == len(names) - len(shown) >= 0
    assert [(c["name"], c["type"]) for c in data["columns"]] == declared[: len(data["columns"])]
    assert data["note"].startswith(f"Showing {len(data['columns']):,} of {len(names):,} columns with their types")


@pytest.mark.asyncio
async def test_a_large_schema_is_listed_within_the_default_cap(tmp_path):
    path = tmp_path / "wide.db"
    make_database(path, 600, 30, seed=1)
    response = await Datasette([str(path)]).client.get("/-/llm/schema.json")
    assert len(response.text) <= 20_000 and response.json()["truncated"] is True
