"""The join tree (repairs/join_tree.py) reads only ON equalities between two different tables of the SELECT
(`ON T2.Id = T2.Id` compares one row with itself: no link, and no table joined to itself), and a table joined
through two fan-outs repeats the rows of the table at the top (a country's rows, not a city's). No test had these:
versions that read an equality within one alias or stopped at the lowest fan-out survived (outside tester,
session 56, mutants T02, T07).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

MAKERS = {"car_makers": ("Id", "Maker"), "model_list": ("ModelId", "Maker", "Model")}
MAKER_LINKS = (Link("model_list", "Maker", "car_makers", "Id"),)
PLACES = {"country": ("id", "name"), "city": ("id", "country_id"), "person": ("id", "city_id", "job")}
PLACE_LINKS = (Link("city", "country_id", "country", "id"), Link("person", "city_id", "city", "id"))


def test_an_equality_within_one_alias_is_not_a_table_joined_to_itself():
    sql = "SELECT T1.Maker FROM car_makers AS T1 JOIN car_makers AS T2 ON T2.Id = T2.Id"
    assert not any("to itself" in d for d in logic_doubts(sql, "Which makers?", MAKERS, MAKER_LINKS))


def test_two_fan_outs_repeat_the_rows_of_the_top_table():
    sql = (
        "SELECT country.name FROM country JOIN city ON city.country_id = country.id "
        "JOIN person ON person.city_id = city.id WHERE person.job != 'farmer'"
    )
    found = [d for d in logic_doubts(sql, "Which countries have no farmers?", PLACES, PLACE_LINKS) if "<>" in d]
    assert len(found) == 1
    assert "so a country row with person.job = 'farmer'" in found[0]
    assert "country.id IN (SELECT city.country_id FROM city JOIN person ON person.city_id = city.id" in found[0]
