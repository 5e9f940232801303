"""Numbers stored as text that the query orders or compares as text (ask/repairs/numbers_as_text.py).

The oracle of the generated test is Python's: the plain-number texts of a column, sorted as text (byte order, as
SQLite's BINARY collation), are in number order or not. Warned exactly when not. (A plain number is made of digits,
a sign and a point: '1E+2' is not one.)
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, probed, sql_reply
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.ask.pipeline import ask
from datasette_llm.ask.repairs.numbers_as_text import numbers_as_text

COLUMNS = {"products": ("id", "name", "price", "code", "qty", "label")}
# price: numbers as text of several lengths; code: one length; qty: real integers; label: words
PRODUCTS = [
    (1, "Lamp", "99", "07", 99, "a"),
    (2, "Desk", "100", "12", 100, "b"),
    (3, "Sofa", "1500", "31", 1500, "c"),
]


def _database(path, rows=PRODUCTS):
    conn = sqlite3.connect(path)
    conn.execute("create table products (id integer primary key, name text, price text, code text, qty integer, label)")
    conn.executemany("insert into products values (?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def products_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("as_text") / "products.db")


def warnings(path, sql, columns=COLUMNS, allowed=("products",)):
    return probed(path, allowed, numbers_as_text, sql, columns)


@pytest.mark.parametrize(
    "sql, warned",
    [
        ("select name from products order by price desc limit 1", ["price orders"]),
        ("select max(price) from products", ["price takes the MAX of"]),
        ("select min(p.price) from products p", ["p.price takes the MIN of"]),
        ("select name from products where price > 500", ["price compares with a number"]),
        ("select name from products where 500 < price", ["price compares with a number"]),
        ("select name from products where price between 50 and 200", ["price compares with a number"]),
        ("select name from products order by price, code", ["price orders"]),  # code: one length, in order
        ("select name from products order by code", []),
        ("select name from products order by qty desc", []),  # stored as numbers
        ("select name from products order by cast(price as real) desc", []),  # not the column itself
        ("select name from products order by label", []),  # no numbers
        ("select name from products where price = '100'", []),  # equality: no order
        ("select name from products where price > 'a'", []),  # compared with text, as text
        ("select max(price, 1) from products", []),  # two-argument max(): per row
        ("select name from products order by nowhere", []),
        ("select name, price from products order by 2 desc", ["price orders"]),  # the second output column
        ("select name, price as p from products order by p", ["price orders"]),  # an output column's alias
        ("select name, cast(price as real) from products order by 2", []),
        ("select name, code, price from products order by 2", []),
    ],
)
def test_only_columns_whose_numbers_sort_otherwise_as_text_are_warned(products_db, sql, warned):
    found = warnings(products_db, sql)
    assert [
        w.split(" holds numbers", 1)[0] + " " + w.split("SQLite ", 1)[1].split(" as text", 1)[0] for w in found
    ] == (warned), found


def test_the_warning_names_a_pair_out_of_order_and_the_cast_to_write(products_db):
    (warning,) = warnings(products_db, "select name from products order by price desc limit 1")
    assert warning == (
        "price holds numbers stored as text, which SQLite orders as text, character by character ('1500' comes "
        "before '99'): for their order as numbers, write CAST(price AS REAL)"
    )


NUMBERS = st.one_of(
    st.integers(-50, 2000).map(str),
    st.decimals(-100, 100, places=2).map(str),
    st.sampled_from(["007", "+5", " 42 "]),
)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(NUMBERS, max_size=8))
def test_warned_exactly_when_text_order_is_not_number_order(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("generated") / "prices.db"
    conn = sqlite3.connect(path)
    conn.execute("create table prices (id integer primary key, amount text)")
    conn.executemany("insert into prices (amount) values (?)", [(v,) for v in values])
    conn.commit()
    conn.close()
    plain = [v.strip() for v in values if set(v.strip()) <= set("0123456789.+-") and any(c.isdigit() for c in v)]
    texts = sorted(plain)
    numbers = [float(t) for t in texts]
    expected = any(later < earlier for earlier, later in zip(numbers, numbers[1:]))
    found = warnings(
        path, "select id from prices order by amount", columns={"prices": ("id", "amount")}, allowed=("prices",)
    )
    assert bool(found) == expected, (values, found)


def test_a_probe_that_is_refused_warns_of_nothing(products_db):
    assert warnings(products_db, "select max(price) from products", allowed=("other",)) == []


@pytest.mark.asyncio
async def test_ask_shows_the_warning_with_the_rows_it_ran(products_db):
    sql = "select name, price from products order by price desc limit 1"
    model = ScriptedModel([sql_reply(sql), "The Lamp is the most expensive, at 99."])
    result = await ask(Datasette([str(products_db)]), "products", "Which product costs the most?", model=model)
    assert list(result.rows) == [("Lamp", "99")]  # the database's rows, as it returned them
    assert any(note.startswith("warning: price holds numbers stored as text") for note in result.notes), result.notes
    assert len(model.calls) == 2  # no model call for it


def test_only_the_tables_first_ten_thousand_rows_are_looked_at(tmp_path):
    """A probe costs milliseconds on a table of millions: it reads the column in the table's first rows only."""
    from datasette_llm.ask.repairs.numbers_as_text import SAMPLED

    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    conn.execute("create table prices (id integer primary key, amount text)")
    conn.executemany("insert into prices (amount) values (?)", [(None,)] * SAMPLED + [("99",), ("100",)])
    conn.commit()
    conn.close()
    sql, columns = "select id from prices order by amount", {"prices": ("id", "amount")}
    assert warnings(path, sql, columns=columns, allowed=("prices",)) == []
    conn = sqlite3.connect(path)
    conn.execute("update prices set amount = case id when 1 then '1500' else '99' end where id in (1, 2)")
    conn.commit()
    conn.close()
    (warning,) = warnings(path, sql, columns=columns, allowed=("prices",))  # two such values in the first rows now
    assert "('1500' comes before '99')" in warning
