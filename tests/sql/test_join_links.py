"""JOINs whose ON clause links nothing: found, fixed on the one foreign key that fits, or explained."""

import sqlite3

import pytest
from schema_helpers import schema_of, spider_gold, spider_schema

from datasette_llm.sql.join_links import Link, check_joins, path_between

pytestmark = pytest.mark.no_datasette

COLUMNS = {
    "cars_data": ("Id", "MPG", "Horsepower", "Weight", "Year"),
    "car_names": ("MakeId", "Model", "Make"),
    "model_list": ("ModelId", "Maker", "Model"),
    "car_makers": ("Id", "Maker", "FullName", "Country"),
}
LINKS = (
    Link("cars_data", "Id", "car_names", "MakeId"),
    Link("car_names", "Model", "model_list", "Model"),
    Link("model_list", "Maker", "car_makers", "Id"),
)


def test_same_column_on_both_sides_is_joined_on_the_foreign_key():
    checked = check_joins(
        "SELECT T2.Model FROM cars_data AS T1 JOIN car_names AS T2 ON t2.MakeId = T2.MakeId "
        "ORDER BY T1.MPG DESC LIMIT 1",
        COLUMNS,
        LINKS,
    )
    assert checked.sql == (
        "SELECT T2.Model FROM cars_data AS T1 JOIN car_names AS T2 ON T1.Id = T2.MakeId ORDER BY T1.MPG DESC LIMIT 1"
    )
    assert checked.changes == [
        "JOIN car_names ON t2.MakeId = T2.MakeId linked no tables; joined on the foreign key T1.Id = T2.MakeId"
    ]
    assert checked.problems == []


def test_a_condition_on_the_earlier_table_only_is_also_unlinked():
    checked = check_joins(
        "SELECT DISTINCT T1.Model FROM car_names AS T1 JOIN cars_data AS T2 ON T1.MakeId = "
        "t1.Make WHERE T2.Weight > 3500",
        COLUMNS,
        LINKS,
    )
    assert "JOIN cars_data AS T2 ON T1.MakeId = T2.Id" in checked.sql


def test_unqualified_and_unaliased_names_resolve_through_the_schema():
    checked = check_joins("SELECT Maker FROM car_makers JOIN model_list ON model_list.Maker = Maker", COLUMNS, LINKS)
    # "Maker" unqualified is ambiguous (both tables have it): left alone rather than guessed.
    assert checked.changes == [] and checked.problems == []
    checked = check_joins("SELECT FullName FROM model_list JOIN car_makers ON FullName = FullName", COLUMNS, LINKS)
    assert "ON model_list.Maker = car_makers.Id" in checked.sql


def test_no_direct_foreign_key_gives_the_path_instead_of_a_guess():
    checked = check_joins(
        "SELECT T2.Model FROM cars_data AS T1 JOIN model_list AS T2 ON t2.Model = T2.Model", COLUMNS, LINKS
    )
    assert checked.changes == [] and checked.sql.startswith("SELECT T2.Model FROM cars_data AS T1 JOIN model_list")
    assert checked.problems == [
        "JOIN model_list ON t2.Model = T2.Model does not link model_list to the other tables in FROM, so every "
        "row is paired with every row; the foreign keys go cars_data.Id = car_names.MakeId, "
        "car_names.Model = model_list.Model"
    ]


def test_linked_joins_and_joins_without_on_are_left_alone():
    for sql in [
        "SELECT * FROM cars_data AS a JOIN car_names AS b ON a.Id = b.MakeId",
        "SELECT * FROM cars_data AS a JOIN car_names AS b ON a.Id = b.MakeId AND b.Make = b.Make",
        "SELECT * FROM cars_data, car_names WHERE cars_data.Id = car_names.MakeId",
        "SELECT * FROM cars_data CROSS JOIN car_names",
        "SELECT * FROM cars_data AS a JOIN (SELECT * FROM car_names) AS b ON b.MakeId = b.MakeId",
        "WITH c AS (SELECT * FROM car_names) SELECT * FROM cars_data AS a JOIN c ON c.MakeId = c.MakeId",
        "SELECT * FROM cars_data AS a JOIN cars_data AS b ON b.Id = b.Id",  # self-join: no link to follow
        "SELECT * FROM cars_data AS a JOIN car_names AS b ON 1 = 1",
        "not sql at all (",
    ]:
        checked = check_joins(sql, COLUMNS, LINKS)
        assert checked.changes == [] and checked.sql == sql, sql


def test_a_join_inside_a_subquery_is_checked_too():
    checked = check_joins(
        "SELECT * FROM car_makers WHERE Id IN (SELECT T1.Maker FROM model_list AS T1 JOIN "
        "car_makers AS T2 ON T2.Id = T2.Id)",
        COLUMNS,
        LINKS,
    )
    assert "ON T1.Maker = T2.Id" in checked.sql


def test_two_possible_keys_are_listed_not_chosen():
    links = LINKS + (Link("cars_data", "Year", "car_names", "MakeId"),)
    checked = check_joins("SELECT * FROM cars_data AS a JOIN car_names AS b ON b.Make = b.Make", COLUMNS, links)
    assert checked.changes == []
    assert checked.problems[0].endswith(
        "the foreign keys that link it: cars_data.Id = car_names.MakeId, cars_data.Year = car_names.MakeId"
    )


def test_names_that_need_quoting_stay_quoted():
    columns = {"order items": ("order id", "qty"), "orders": ("id", "total")}
    links = (Link("order items", "order id", "orders", "id"),)
    checked = check_joins('SELECT * FROM orders AS o JOIN "order items" AS i ON i.qty = i.qty', columns, links)
    assert 'ON o.id = i."order id"' in checked.sql


def test_path_between_is_shortest_and_bounded():
    assert [link.text() for link in path_between("cars_data", {"car_makers"}, LINKS)] == [
        "cars_data.Id = car_names.MakeId",
        "car_names.Model = model_list.Model",
        "model_list.Maker = car_makers.Id",
    ]
    assert path_between("cars_data", {"nowhere"}, LINKS) == []


def test_foreign_links_come_from_the_schema(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.executescript(
        "create table a (id integer primary key); create table b (id integer primary key, "
        "a_id integer references a); create table c (b_id integer references b(id), "
        "z integer references missing(id))"
    )
    assert schema_of(conn, ("a", "b", "c"))[1] == (Link("b", "a_id", "a", "id"), Link("c", "b_id", "b", "id"))


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
def test_no_spider_gold_query_is_flagged():
    flagged = []
    for item in spider_gold():
        checked = check_joins(item["query"], *spider_schema(item["db_id"]))
        if checked.changes or checked.problems:
            flagged.append(item["query"])
    assert len({item["db_id"] for item in spider_gold()}) == 10 and flagged == []
