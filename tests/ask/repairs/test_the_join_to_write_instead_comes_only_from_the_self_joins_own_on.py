"""A table joined to itself on its key is doubted with the query to write instead only when the equality is in
the ON clause of the second copy's own JOIN (logic_checks/joined_tables.py _referring_table_instead: the JOIN
whose ON holds it must join one of the two copies). Written in a third table's ON clause, the rewrite would
replace that third table; the doubt then names the referring table but offers no query. No test had it: a
version without the check offered a query that joined model_list in place of countries (outside tester,
session 56, mutant J08).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {
    "car_makers": ("Id", "Maker", "Country"),
    "model_list": ("ModelId", "Maker", "Model"),
    "countries": ("CountryId", "CountryName"),
}
LINKS = (Link("model_list", "Maker", "car_makers", "Id"), Link("car_makers", "Country", "countries", "CountryId"))


def test_an_equality_in_its_own_join_gets_the_query_to_write():
    sql = "SELECT T1.Maker FROM car_makers AS T1 JOIN car_makers AS T2 ON T1.Id = T2.Id"
    (found,) = logic_doubts(sql, "Which makers?", COLUMNS, LINKS)
    assert found.endswith(
        "to join those, write SELECT T1.Maker FROM car_makers AS T1 JOIN model_list AS T2 ON T1.Id = T2.Maker"
    )


def test_an_equality_in_another_tables_join_gets_no_query():
    sql = (
        "SELECT T1.Maker FROM car_makers AS T1 JOIN car_makers AS T2 "
        "JOIN countries AS T3 ON T3.CountryId = T1.Country AND T1.Id = T2.Id"
    )
    (found,) = logic_doubts(sql, "Which makers?", COLUMNS, LINKS)
    assert "joins car_makers to itself on its key Id" in found
    assert "write" not in found
