"""A 404 for an unknown table does not list every table whatever their number (an outside tester, session 59).

`table_not_found` puts every table the actor may see into the error, twice in JSON (`error` and `tables`): with
160 tables of 1,000-character names the Ask API's and the search API's 404 were 321 KB, the Ask and search pages'
161 KB and MCP `describe_table`'s 642 KB (its answers are documented to fit `query_max_chars`, 20,000). Any visitor
gets one for the price of a misspelt name.

Growth oracle: the same request over 40 and 160 tables of 500-character names.
"""

import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette

ENVELOPE = 2_000


def db_of(path, tables: int):
    conn = sqlite3.connect(path)
    for i in range(tables):
        conn.execute(f'create table "t{i:04d}_{"x" * 495}" (id integer primary key, a text)')
    conn.commit()
    conn.close()
    return path


async def not_found_sizes(path):
    ds = Datasette([str(path)])
    name = path.stem
    sizes = {}
    response = await ds.client.post(f"/{name}/-/ask.json", json={"question": "how many", "table": "nope"})
    sizes["ask.json"] = (response.status_code, len(response.content))
    response = await ds.client.get("/-/semantic-search", params={"q": "x", "database": name, "table": "nope"})
    sizes["semantic-search"] = (response.status_code, len(response.content))
    response = await ds.client.get(f"/{name}/-/ask", params={"table": "nope"})
    sizes["ask page"] = (response.status_code, len(response.content))
    response = await ds.client.get(f"/{name}/nope/-/semantic-search")
    sizes["search page"] = (response.status_code, len(response.content))
    result = await mcp_tool(ds, "describe_table", {"database": name, "table": "nope"})
    sizes["mcp describe_table"] = (result["structuredContent"].get("status"), len(result["content"][0]["text"]))
    return sizes


@pytest.mark.asyncio
async def test_a_404_for_a_table_does_not_grow_with_the_number_of_tables(tmp_path):
    few = await not_found_sizes(db_of(tmp_path / "few.db", 40))
    many = await not_found_sizes(db_of(tmp_path / "many.db", 160))
    for route in few:
        assert few[route][0] == many[route][0] == 404, (route, few[route], many[route])
        assert many[route][1] < 2 * few[route][1] or many[route][1] <= 20_000, (
            f"{route}: 404 of {few[route][1]:,} B over 40 tables, {many[route][1]:,} B over 160"
        )
    assert many["mcp describe_table"][1] <= 20_000 + ENVELOPE, many["mcp describe_table"]


@pytest.mark.parametrize("count", [0, 1, 49, 50, 51, 300])
@pytest.mark.parametrize("length", [3, 60, 1_500])
def test_a_404_lists_the_first_names_in_order_and_counts_the_rest(count, length):
    """Oracle: the names given. The listing is their first ones, in order, within 50 names and 2,000 characters (a
    first name longer than that counted too, since session 60), the rest
    counted; the message lists exactly those and says how many more; a name asked for is
    echoed at most 200 characters long."""
    from datasette_llm.permissions import database_not_found, table_not_found

    names = [f"t{i:04d}_" + "x" * length for i in range(count)]
    for error, field in (
        (table_not_found("db", "n" * 5_000, names), "tables"),
        (database_not_found("n" * 5_000, names), "databases"),
    ):
        listed, more = error.details[field], error.details.get(f"{field}_left_out", 0)
        assert listed == names[: len(listed)] and more == count - len(listed)
        assert len(listed) <= 50 and sum(len(n) + 2 for n in listed) <= 2_000
        if more:
            assert len(listed) == 50 or sum(len(n) + 2 for n in names[: len(listed) + 1]) > 2_000
            assert error.message.endswith(f"{', '.join(listed)} (and {more:,} more).")
        else:
            assert error.message.endswith(f"{', '.join(listed) or 'none'}.")
        assert "n" * 200 + "…'" in error.message and "n" * 201 not in error.message
