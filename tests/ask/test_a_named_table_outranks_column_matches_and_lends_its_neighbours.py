"""An outside tester, session 59 (mutation testing of schema.rank_tables): the two ways a named table is put first
each survived alone, the other one covering for it. Dropping `-named` from the sort key left the named table first
only while its +10 a word outweighed another table's column hits; dropping the +10 from the score left it first
through the sort key, but its foreign-key neighbours no longer inherit a named table's weight."""

import pytest

from datasette_llm.ask.schema import rank_tables
from datasette_llm.ask.schema_tables import TableSchema

pytestmark = pytest.mark.no_datasette

WORDS = [f"metric{chr(97 + i)}" for i in range(24)]


def table(name, columns, foreign=()):
    return TableSchema(name, tuple(columns), f"CREATE TABLE {name} (...)", (), foreign_keys=tuple(foreign))


def test_a_named_table_comes_before_a_table_sharing_every_other_word():
    question = "In the orders table, what are " + ", ".join(WORDS) + "?"
    tables = [table("stats", WORDS), table("orders", ["id", "customer_id"])]
    assert rank_tables(tables, question)[0].name == "orders"


def test_a_named_tables_neighbour_comes_before_a_table_sharing_a_few_words():
    question = "List the orders with their " + ", ".join(WORDS[:5])
    orders = table("orders", ["id", "customer_id"], foreign=[("customer_id", "customers", "id")])
    tables = [table("stats", WORDS[:5]), orders, table("customers", ["id", "label"])]
    ranked = [t.name for t in rank_tables(tables, question)]
    assert ranked.index("customers") < ranked.index("stats"), ranked


def test_a_table_named_by_words_that_name_nothing_is_not_named_by_every_question():
    tables = [table("books", ["title", "author", "wrote"]), table("who", ["id", "x"])]
    assert rank_tables(tables, "Who wrote the longest title?")[0].name == "books"


def test_a_number_in_the_question_counts_for_no_column():
    tables = [table("wide", ["col_3", "val_3", "x_3"]), table("goods", ["id", "price"])]
    assert rank_tables(tables, "What are the top 3 prices?")[0].name == "goods"


@pytest.mark.parametrize("name, said", [("orders", "order"), ("order", "orders")])
def test_a_final_s_is_read_alike(name, said):
    tables = [table("sales", ["id", "name", "total", "price"]), table(name, ["id", "label"])]
    assert rank_tables(tables, f"What is the name and total price of each {said}?")[0].name == name


def test_a_word_of_a_tables_name_outweighs_two_of_anothers_columns():
    tables = [table("products", ["id", "name", "price"]), table("sales_archive", ["id", "x"])]
    assert rank_tables(tables, "What are the sales by name and price?")[0].name == "sales_archive"
