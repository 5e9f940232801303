"""An outside tester, session 59: named_outright reads plural and singular alike only for a final "s" (_stem):
`countries` was never "country", `categories` never "category", `addresses` never "address". A schema over budget
then cut the table the question names before tables whose columns share its other words. Irregular plurals
(`people` for `person`, `shelves` for `shelf`) were the same until session 60."""

import pytest

from datasette_llm.ask.schema import rank_tables
from datasette_llm.ask.schema_tables import TableSchema

pytestmark = pytest.mark.no_datasette


def table(name, columns):
    return TableSchema(name, tuple(columns), f"CREATE TABLE {name} ({', '.join(columns)})", ())


@pytest.mark.parametrize(
    "name, said",
    [
        ("countries", "country"),
        ("categories", "category"),
        ("addresses", "address"),
        ("branches", "branch"),
        ("country", "countries"),
        ("category", "categories"),
        ("orders", "order"),
        ("order", "orders"),
        ("person", "people"),
        ("people", "person"),
        ("child", "children"),
        ("wives", "wife"),
        ("shelf", "shelves"),
        ("analysis", "analyses"),
        ("statuses", "status"),
    ],
)
def test_a_table_the_question_names_in_its_other_number_comes_first(name, said):
    tables = [
        table("sales", ["id", "name", "total", "price"]),
        table(name, ["id", "label"]),
        table("products", ["id", "name", "price"]),
    ]
    assert rank_tables(tables, f"What is the name and total price of each {said}?")[0].name == name


@pytest.mark.parametrize("name, said", [("move", "moves"), ("archive", "archives"), ("drive", "drives")])
def test_a_plural_in_ves_that_is_no_irregular_one_keeps_the_rule(name, said):
    """`moves` is `move` and not `mof`: irregular plurals are whole words, not a "-ves" ending."""
    tables = [
        table("sales", ["id", "name", "total", "price"]),
        table(name, ["id", "label"]),
        table("products", ["id", "name", "price"]),
    ]
    assert rank_tables(tables, f"What is the name and total price of each {said}?")[0].name == name
