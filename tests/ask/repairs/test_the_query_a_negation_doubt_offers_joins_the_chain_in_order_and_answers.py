"""A negation tested on a row joined through a chain of tables (logic_checks/joined_tables.py negated_joined_row,
join_tree.py exclusion) is doubted with the whole query to write: it leaves out every country that has a farmer
anywhere down the chain, joining the chain's tables in the order they hang together (each ON names only tables
already joined). Oracle: sqlite3 runs the offered query on data whose answer is known. No test had a chain of
three tables: a version that joined them in the other order survived (outside tester, session 56, mutant T14).
"""

import re
import sqlite3

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {
    "country": ("id", "name"),
    "region": ("id", "country_id"),
    "city": ("id", "region_id"),
    "person": ("id", "city_id", "job"),
}
LINKS = (
    Link("region", "country_id", "country", "id"),
    Link("city", "region_id", "region", "id"),
    Link("person", "city_id", "city", "id"),
)
SQL = (
    "SELECT DISTINCT country.name FROM country JOIN region ON region.country_id = country.id "
    "JOIN city ON city.region_id = region.id JOIN person ON person.city_id = city.id WHERE person.job != 'farmer'"
)


def test_the_offered_query_joins_in_order_and_leaves_out_every_country_with_a_farmer():
    (found,) = logic_doubts(SQL, "Which countries have no farmers?", COLUMNS, LINKS)
    assert (
        "(SELECT region.country_id FROM region JOIN city ON city.region_id = region.id "
        "JOIN person ON person.city_id = city.id WHERE person.job = 'farmer')"
    ) in found
    offered = re.search(r"write (SELECT .*)$", found).group(1)
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        """
        create table country (id integer primary key, name text);
        create table region (id integer primary key, country_id integer);
        create table city (id integer primary key, region_id integer);
        create table person (id integer primary key, city_id integer, job text);
        insert into country values (1, 'Farmland'), (2, 'Bakeland'), (3, 'Emptyland');
        insert into region values (1, 1), (2, 2), (3, 3);
        insert into city values (1, 1), (2, 2), (3, 3);
        insert into person values (1, 1, 'farmer'), (2, 1, 'baker'), (3, 2, 'baker');
        """
    )
    assert sorted(conn.execute(SQL).fetchall()) == [("Bakeland",), ("Farmland",)]  # the doubt's point
    assert sorted(conn.execute(offered).fetchall()) == [("Bakeland",), ("Emptyland",)]
