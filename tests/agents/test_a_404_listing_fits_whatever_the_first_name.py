"""A 404 for a misspelt table lists the first names "within 2,000 characters" and MCP answers fit `query_max_chars`:
the first name was always listed whole, so one table named with 300,000 characters made every 404 of its database
600,000 characters (outside tester 60a). Oracle: the lengths against the documented bounds."""

import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette

from datasette_llm.permissions import database_not_found, table_not_found


def test_a_listing_fits_in_its_characters_whatever_the_first_name():
    """The names listed (and the message) stay within LISTED_CHARS (plus the echoed name and the words around it),
    however long the first name is; what is not listed is counted."""
    long = "n" * 300_000
    for error, field in (
        (table_not_found("db", "nope", [long, "b"]), "tables"),
        (database_not_found("nope", [long, "b"]), "databases"),
    ):
        listed = error.details[field]
        assert sum(len(name) + 2 for name in listed) <= 2_000 + 2, [len(n) for n in listed]
        assert len(error.message) <= 2_000 + 200 + 200
        assert len(listed) + error.details.get(f"{field}_left_out", 0) == 2


@pytest.mark.asyncio
async def test_mcp_describe_table_404_fits_the_cap_whatever_the_first_name(tmp_path):
    """MCP describe_table's 404 fits query_max_chars (20,000) with a table of a 300,000-character name."""
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f'create table "{"n" * 300_000}" (id integer primary key)')
    conn.close()
    result = await mcp_tool(Datasette([str(path)]), "describe_table", {"table": "nope"})
    assert result["isError"] is True
    assert len(result["content"][0]["text"]) <= 20_000
