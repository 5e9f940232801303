"""schema_caps (session 59) at every cap from 1,000 to 5,000 characters, over generated directories of several
databases whose tables differ in size: the answer fits the cap; every database accounts for each of its tables
exactly once (listed, named, counted; none negative); over all databases, tables are listed, then named, then
counted, never back to a longer form; a description that fits once its example rows are left out keeps every
column whole; an answer that fits whole fits with its `truncated` flag. Oracle: the directory given, counted
independently (outside tester 60a: mutants of the order, of the per-database split, of the room counted per
table and of the example rows' early return all survived)."""

import copy
import random

from datasette_llm.agents.schema_caps import MCP_HINT, cap_directory, cap_table, size


def directory(seed: int) -> dict:
    rng = random.Random(seed)
    return {
        "ok": True,
        "databases": [
            {
                "name": f"db{d}",
                "can_execute_sql": True,
                "tables": [
                    {
                        "name": f"t{d}_{i:03d}_" + "x" * rng.choice([0, 2, 60, 200]),
                        "type": "table",
                        "row_count": rng.randrange(0, 5),
                        "columns": ["c" * rng.randrange(1, 30) for _ in range(rng.randrange(0, 8))],
                    }
                    for i in range(count)
                ],
            }
            for d, count in enumerate(rng.choice([(12,), (6, 9), (3, 1, 8)]))
        ],
        "limits": {"query_max_rows": 100, "query_max_chars": 0},
    }


def test_a_directory_is_cut_in_order_and_accounts_for_every_table_at_every_cap():
    """Fits; each database's tables accounted for once; listed, then named, then counted over all databases."""
    for seed in range(4):
        whole = directory(seed)
        for cap in range(1_000, 5_000, 11):
            data = cap_directory(copy.deepcopy(whole), cap, MCP_HINT)
            if not data["truncated"]:
                continue
            # within 2 characters a database: the room counted ", " after each database's last table too (see
            # test_a_directory_fits_its_cap_exactly below)
            assert size(data) <= cap + 2 * len(whole["databases"]), (seed, cap, size(data))
            stages = []
            for database, original in zip(data["databases"], whole["databases"], strict=True):
                names = [t["name"] for t in original["tables"]]
                listed = [t["name"] for t in database["tables"]]
                assert database["tables_left_out"] >= 0, (seed, cap)
                assert listed + database["more_tables"] == names[: len(listed) + len(database["more_tables"])]
                assert len(listed) + len(database["more_tables"]) + database["tables_left_out"] == len(names)
                stages += [0] * len(listed) + [1] * len(database["more_tables"]) + [2] * database["tables_left_out"]
            assert stages == sorted(stages), (seed, cap, stages)


def test_a_table_that_fits_without_its_example_rows_keeps_every_column():
    """When leaving out the example rows is enough, every column stays whole and no column count is added."""
    columns = [{"name": f"c{i}", "type": "TEXT", "primary_key": False, "not_null": False} for i in range(20)]
    details = {
        "ok": True,
        "database": "db",
        "name": "t",
        "type": "table",
        "columns": columns,
        "primary_keys": [],
        "foreign_keys": [],
        "row_count": 3,
        "example_rows": {"columns": ["c0"], "rows": [["x" * 3_000]], "note": None},
    }
    cap = size({**details, "example_rows": None, "truncated": True, "note": "x" * 80}) + 5
    data = cap_table(copy.deepcopy(details), cap)
    assert data["truncated"] is True and data["example_rows"] is None
    assert data["columns"] == columns and "columns_left_out" not in data and "more_columns" not in data
    assert data["note"].startswith("The example rows were left out")


def test_a_directory_fits_its_cap_exactly():
    """An answer fits its cap to the character: a cut directory (its room counted ", " after every table, each
    database's last too: up to 2 characters a database over), and one that fits whole once `"truncated": false` is
    added to it (the size was measured without it: an answer 1 to 19 characters under the cap came back up to 19
    over it)."""
    for seed in range(4):
        whole = directory(seed)
        for cap in range(1_000, 5_000, 11):
            data = cap_directory(copy.deepcopy(whole), cap, MCP_HINT)
            assert size(data) <= cap, (seed, cap, size(data))
    for seed in range(4):
        whole = directory(seed)
        for cap in range(size(whole), size(whole) + 25):
            data = cap_directory(copy.deepcopy(whole), cap, MCP_HINT)
            assert size(data) <= cap, (seed, cap, size(data))
    columns = [{"name": f"c{i}", "type": "TEXT", "primary_key": False, "not_null": False} for i in range(5)]
    details = {
        "ok": True,
        "database": "db",
        "name": "t",
        "type": "table",
        "columns": columns,
        "primary_keys": [],
        "foreign_keys": [],
        "row_count": 3,
    }
    for cap in range(size(details), size(details) + 25):
        assert size(cap_table(copy.deepcopy(details), cap)) <= cap, cap


def test_one_database_is_cut_within_its_cap_at_every_cap():
    """One database's directory, cut, fits its cap to the character at every cap (each table's room counted once)."""
    for seed in range(3):
        whole = directory(seed)
        whole["databases"] = whole["databases"][:1]
        for cap in range(1_000, 2_200):
            data = cap_directory(copy.deepcopy(whole), cap, MCP_HINT)
            if data["truncated"] and (data["databases"][0]["tables"] or data["databases"][0]["more_tables"]):
                assert size(data) <= cap, (seed, cap, size(data))


def test_a_tables_columns_are_cut_in_order_whatever_their_types():
    """Columns of types of any length: listed whole, then by name, then counted, never whole after one by name."""
    rng = random.Random(60)
    columns = [
        {"name": f"c{i}", "type": "T" * rng.choice([1, 4, 300]), "primary_key": False, "not_null": False}
        for i in range(40)
    ]
    details = {
        "ok": True,
        "database": "db",
        "name": "t",
        "type": "table",
        "columns": columns,
        "primary_keys": [],
        "foreign_keys": [],
        "row_count": 3,
    }
    for cap in range(700, 4_000, 7):
        data = cap_table(copy.deepcopy(details), cap)
        if not data["truncated"]:
            continue
        assert size(data) <= cap, (cap, size(data))  # a column listed whole after one by name would not fit
        shown = [c["name"] for c in data["columns"]] + data["more_columns"]
        assert shown == [c["name"] for c in columns[: len(shown)]], cap
        assert data["columns"] == columns[: len(data["columns"])], cap
