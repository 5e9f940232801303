"""Names compared with foreign-key columns (ask/repairs/key_literals.py), two rules no test held:

- a literal that reads as a number ('42') is an id written in quotes, not a name: it is never looked up through
  the referenced table, even when some column there stores that text (a product's SKU '42');
- a name column counts only when it holds the literal in exactly one spelling: with 'Ford' and 'FORD' both stored,
  which one the model meant is not known, and the comparison is left as written.
"""

import sqlite3

import pytest
import sqlite_utils
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.ask.repairs.key_literals import _is_number, mend_key_literals
from datasette_llm.ask.repairs.value_hints import Probe
from datasette_llm.sql.join_links import Link

COLUMNS = {"products": ("id", "sku", "maker"), "orders": ("id", "product_id", "qty")}
LINKS = (Link("orders", "product_id", "products", "id"),)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "shop.db"
    data = sqlite_utils.Database(path)
    data["products"].insert_all(
        [
            {"id": 7, "sku": "42", "maker": "Ford"},
            {"id": 8, "sku": "43", "maker": "FORD"},
            {"id": 9, "sku": "x", "maker": "Kia"},
        ],
        pk="id",
    )
    data["orders"].insert_all(
        [{"id": 1, "product_id": 7, "qty": 1}, {"id": 2, "product_id": 9, "qty": 2}],
        pk="id",
        foreign_keys=[("product_id", "products", "id")],
    )
    data.close()
    return Datasette([str(path)]).get_database("shop")


async def mend(db, sql):
    return await mend_key_literals(Probe(db, set(COLUMNS), 1000), sql, COLUMNS, LINKS)


@pytest.mark.asyncio
async def test_a_number_in_quotes_is_not_looked_up_as_a_name(db):
    assert await mend(db, "SELECT qty FROM orders WHERE product_id = '42'") is None
    assert await mend(db, "SELECT qty FROM orders WHERE product_id IN ('42', '43')") is None
    # the counterpart: a word stored once in one column is looked up
    sql, _ = await mend(db, "SELECT qty FROM orders WHERE product_id = 'kia'")
    assert sql.endswith("product_id IN (SELECT id FROM products WHERE maker = 'Kia')")


@pytest.mark.asyncio
async def test_a_name_stored_in_two_spellings_is_left_alone(db):
    assert await mend(db, "SELECT qty FROM orders WHERE product_id = 'ford'") is None


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="0123456789.eE+- \t_naifINFx١", max_size=8) | st.sampled_from(["nan", "Inf", "1_000"]))
def test_a_literal_is_a_number_exactly_when_sqlite_reads_it_as_one(text):
    """The oracle is SQLite: text stored into a column of numeric affinity becomes a number or stays text.
    Python's float() read "nan", "inf", "1_000" and "١٢" as numbers, so a key named `Nan` was never mended."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x NUMERIC)")
    conn.execute("INSERT INTO t VALUES (?)", (text,))
    stored_as = conn.execute("SELECT typeof(x) FROM t").fetchone()[0]
    assert _is_number(text) == (stored_as in ("integer", "real")), stored_as


@pytest.mark.asyncio
async def test_a_name_python_reads_as_a_number_is_looked_up(tmp_path):
    path = tmp_path / "people.db"
    data = sqlite_utils.Database(path)
    data["people"].insert_all([{"id": 1, "name": "Nan"}, {"id": 2, "name": "Bo"}], pk="id")
    data["notes"].insert_all(
        [{"id": 1, "person_id": 1}, {"id": 2, "person_id": 2}], pk="id", foreign_keys=[("person_id", "people", "id")]
    )
    data.close()
    db = Datasette([str(path)]).get_database("people")
    columns = {"people": ("id", "name"), "notes": ("id", "person_id")}
    links = (Link("notes", "person_id", "people", "id"),)
    sql, _ = await mend_key_literals(
        Probe(db, set(columns), 1000), "SELECT id FROM notes WHERE person_id = 'nan'", columns, links
    )
    assert sql.endswith("person_id IN (SELECT id FROM people WHERE name = 'Nan')")
