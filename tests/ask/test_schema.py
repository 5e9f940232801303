"""The schema for the prompt: layout, quoting, what is hidden, and what a budget keeps and records."""

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_llm.ask.schema import load_tables, quote_name, render_schema


def count(text):
    return (len(text) + 3) // 4


@pytest.fixture
def wide_db(tmp_path):
    """120 filler tables plus customers <- invoices -> employees, a table called "order" and long cells."""
    path = tmp_path / "wide.db"
    db = sqlite_utils.Database(path)
    for i in range(120):
        db[f"filler_{i:03d}"].insert({"id": 1, "alpha": "a", "beta": "b", "gamma": "g"}, pk="id")
    db["customers"].insert_all([{"id": 1, "name": "Ana", "bio": "x" * 5000}], pk="id")
    db["employees"].insert({"id": 1, "name": "Eve"}, pk="id")
    db["invoices"].insert(
        {"id": 1, "customer_id": 1, "employee_id": 1, "total": 9.5},
        pk="id",
        foreign_keys=[("customer_id", "customers", "id"), ("employee_id", "employees", "id")],
    )
    db["order"].insert({"id": 1, "group": "g", "select": 2}, pk="id")
    db["docs"].insert({"id": 1, "body": "hello"}, pk="id")
    db["docs"].enable_fts(["body"])
    db.close()
    return Datasette([str(path)])


def test_keywords_and_odd_names_are_quoted():
    assert quote_name("customers") == "customers"
    assert quote_name("order") == '"order"' and quote_name("Group") == '"Group"'
    assert quote_name("my table") == '"my table"' and quote_name('a"b') == '"a""b"'


@pytest.mark.asyncio
async def test_layout_examples_clipping_and_hidden_tables(wide_db):
    tables = await load_tables(wide_db, "wide", None)
    names = [t.name for t in tables]
    assert "order" in names and "customers" in names and "docs" in names
    assert not any(n.startswith("docs_") for n in names)  # FTS shadow tables are left out
    schema = render_schema("wide", tables, count, 10**9)
    assert schema.notes == () and schema.omitted_tables == ()
    assert 'SELECT * FROM "order" LIMIT 3;' in schema.text
    customers = next(t for t in tables if t.name == "customers").render()
    assert "/*\n1 example rows:\nSELECT * FROM customers LIMIT 3;\nid\tname\tbio\n1\tAna\t" in customers
    assert "x" * 60 + "…" in customers and "x" * 61 not in customers
    assert 'REFERENCES "customers"("id")' in next(t for t in tables if t.name == "invoices").render()


@pytest.mark.asyncio
async def test_fitting_schema_does_not_depend_on_the_question(wide_db):
    tables = await load_tables(wide_db, "wide", None)
    first = render_schema("wide", tables, count, 10**9, question="How many invoices?")
    second = render_schema("wide", tables, count, 10**9, question="Who is the oldest employee?")
    assert first.text == second.text


@pytest.mark.asyncio
async def test_over_budget_keeps_relevant_tables_and_their_neighbours_and_says_what_was_left_out(wide_db):
    tables = await load_tables(wide_db, "wide", None)
    budget = 600
    schema = render_schema("wide", tables, count, budget, question="What is the total of all invoices?")
    assert count(schema.text) <= budget
    assert {"invoices", "customers", "employees"} <= set(schema.tables)
    assert len(schema.omitted_tables) >= 90 and all(
        n.startswith("filler_") or n in ("docs", "order") for n in schema.omitted_tables
    )
    assert any(f"{len(schema.omitted_tables)} of {len(tables)} tables left out" in n for n in schema.notes)
    assert set(schema.tables) | set(schema.omitted_tables) == {t.name for t in tables}


@pytest.mark.asyncio
async def test_hidden_tables_never_reach_the_prompt(wide_db):
    ds = Datasette(
        [str(wide_db.databases["wide"].path)],
        metadata={"databases": {"wide": {"tables": {"customers": {"allow": {"id": "admin"}}}}}},
    )
    anonymous = [t.name for t in await load_tables(ds, "wide", None)]
    admin = [t.name for t in await load_tables(ds, "wide", {"id": "admin"})]
    assert "customers" not in anonymous and "customers" in admin
