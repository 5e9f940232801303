"""The one identifier-quoting helper: any name, however hostile, stays one identifier."""

import sqlite3

import pytest

from datasette_llm.sql.names import quote_identifier, quote_name

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("name", ["plain", "two words", "order", 'a"b', '"; drop table t; --', "it's", "x]y", ""])
def test_a_quoted_name_reads_back_as_the_same_single_identifier(name):
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create table {quote_identifier(name)} ({quote_name(name)} integer)")
    assert conn.execute("select name from sqlite_master").fetchone() == (name,)
    assert [row[1] for row in conn.execute(f"pragma table_info({quote_identifier(name)})")] == [name]


def test_names_stay_bare_only_when_sqlite_reads_them_so():
    assert quote_name("releases") == "releases"
    assert quote_name("order") == '"order"' and quote_name("Order") == '"Order"'
    assert quote_name("2024") == '"2024"' and quote_name("a b") == '"a b"'
