"""Schema descriptions within a character cap (`query_max_chars`), for an assistant's window.

A listing of every table, or one table's description, can be as long as the schema: 3,000 tables of 60 columns
made an 18.4 MB MCP result, a 2,000-column table 215,011 characters (an outside tester, session 57), and
`/-/llm/schema.json`, which the OpenAPI spec tells a model to call first, had no cap at all. Past the cap the
details give way in a fixed order, each step said in a `note`: column types and keys, then column names (a count
stays), then the last tables are listed by name only (`more_tables`), then only counted (`tables_left_out`); for
one table, its example rows, then its last columns by name only (`more_columns`), then counted
(`columns_left_out`), each column's keys with it (`keys_left_out` counts those gone). What is shown is always the
first ones, in database order.
"""

from __future__ import annotations

import json

# Where a model finds what a capped listing leaves out, in the words of each surface.
MCP_HINT = "describe_table gives a table's columns; database= lists one database."
HTTP_HINT = "table= (with database=) gives a table's columns; database= lists one database."


def size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str))


def brief_table(table: dict) -> dict:
    """Names, type, count and column names only: a directory for a model that will ask for details."""
    return {
        "name": table["name"],
        "type": table["type"],
        "row_count": table["row_count"],
        "columns": [column["name"] for column in table["columns"]],
    }


def in_order_within(items: list, name_of, room: int) -> tuple[int, int]:
    """(listed, named): how many of `items` fit in `room` characters written whole, then how many of the next by
    name only; the rest are counted. Never back to a longer form, so what is shown is the first ones in order.
    Each item's length is counted once (the result is not written again per item)."""
    listed = named = 0
    for item in items:
        if not named and size(item) + 2 <= room:  # and ", " after it
            room -= size(item) + 2
            listed += 1
        elif size(name_of(item)) + 2 <= room:
            room -= size(name_of(item)) + 2
            named += 1
        else:
            break
    return listed, named


def cap_listing(listing: dict, max_chars: int, hint: str) -> dict:
    """A full listing (tables with column details and keys, as schema.json gives them) within `max_chars`: whole,
    else as a brief directory (column names only), capped as `cap_directory` caps one."""
    if size({**listing, "truncated": False}) <= max_chars:  # the flag counted (an outside tester, session 60)
        listing["truncated"] = False
        return listing
    for database in listing["databases"]:
        database["tables"] = [brief_table(table) for table in database["tables"]]
    listing["truncated"] = True
    listing["note"] = f"Column types and keys are left out to fit in {max_chars:,} characters: {hint}"
    return cap_directory(listing, max_chars, hint)


def cap_directory(directory: dict, max_chars: int, hint: str) -> dict:
    """A brief directory (column names only) within `max_chars`, with a note of what was left out: first the
    column names go (a count stays), then the last tables are listed by name only (`more_tables`), then only
    counted (`tables_left_out`). A directory that fits is returned as it is (`truncated` False unless set)."""
    if size({"truncated": False, **directory}) <= max_chars:
        directory.setdefault("truncated", False)
        return directory
    databases = directory["databases"]
    everything = [table for database in databases for table in database["tables"]]
    for table in everything:
        table["column_count"] = len(table.pop("columns"))
    for database in databases:
        database["more_tables"], database["tables_left_out"] = [], len(database["tables"])
    directory["truncated"] = True
    total = len(everything)
    directory["note"] = _directory_note(total, total, total, total, max_chars, hint)  # as long as it can be
    # All but the tables and the ", " between them: one fewer than a database's tables (counting one for each
    # gave 2 characters too many of room a database; an outside tester, session 60).
    used = size(directory) - sum(size(table) + 2 for table in everything) + 2 * sum(1 for d in databases if d["tables"])
    listed, named = in_order_within(everything, lambda table: table["name"], max_chars - used)
    for database in databases:
        tables = database["tables"]
        shown, by_name = min(listed, len(tables)), min(named, max(0, len(tables) - listed))
        database["tables"] = tables[:shown]
        database["more_tables"] = [table["name"] for table in tables[shown : shown + by_name]]
        database["tables_left_out"] = len(tables) - shown - by_name
        listed, named = listed - shown, named - by_name
    listed = sum(len(d["tables"]) for d in databases)
    named = sum(len(d["more_tables"]) for d in databases)
    directory["note"] = _directory_note(listed, named, total - listed - named, total, max_chars, hint)
    return directory


def cap_table(details: dict, max_chars: int) -> dict:
    """One table's description within `max_chars` characters, with a note: without its example rows, then with
    its first columns whole, the next by name only (`more_columns`), the rest counted (`columns_left_out`)."""
    if size({**details, "truncated": False}) <= max_chars:
        details["truncated"] = False
        return details
    details["truncated"] = True
    if details.get("example_rows") is not None:  # the example rows go first
        details["example_rows"] = None
        details["note"] = f"The example rows were left out to fit in {max_chars:,} characters."
        if size(details) <= max_chars:
            return details
    columns = details["columns"]
    total = len(columns)
    # A column's keys go with it: 1,500 columns each with a REFERENCES made a description of 109,900 characters
    # against a cap of 20,000, its key lists never cut (an outside tester, session 60).
    primary, foreign = details.get("primary_keys", []), details.get("foreign_keys", [])
    keys = len(primary) + len(foreign)
    described = [
        {
            "column": column,
            "primary": [name for name in primary if name == column["name"]],
            "foreign": [key for key in foreign if key["column"] == column["name"]],
        }
        for column in columns
    ]
    details.update(columns=[], more_columns=[], columns_left_out=total, truncated=True)
    details.update(primary_keys=[], foreign_keys=[], keys_left_out=keys)
    details["note"] = _table_note(total, total, total, total, max_chars)  # as long as it can be
    listed, named = in_order_within(described, lambda item: item["column"]["name"], max_chars - size(details))
    kept = described[:listed]
    details.update(
        columns=columns[:listed],
        more_columns=[column["name"] for column in columns[listed : listed + named]],
        columns_left_out=total - listed - named,
        primary_keys=[name for item in kept for name in item["primary"]],
        foreign_keys=[key for item in kept for key in item["foreign"]],
        note=_table_note(listed, named, total - listed - named, total, max_chars),
    )
    details["keys_left_out"] = keys - len(details["primary_keys"]) - len(details["foreign_keys"])
    return details


def _table_note(listed: int, named: int, left: int, total: int, max_chars: int) -> str:
    return (
        f"Showing {listed:,} of {total:,} columns with their types, {named:,} more by name only (more_columns) "
        f"and {left:,} counted in columns_left_out, to fit in {max_chars:,} characters (no example rows); query "
        "with the names."
    )


def _directory_note(listed: int, named: int, left: int, total: int, max_chars: int, hint: str) -> str:
    return (
        f"Showing {listed:,} of {total:,} tables with row counts, {named:,} more by name only (more_tables) and "
        f"{left:,} counted in tables_left_out, to fit in {max_chars:,} characters. Column names are left out: "
        f"{hint}"
    )
