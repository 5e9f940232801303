"""Valid queries whose logic does not answer the question: the doubts the model is asked to reconsider."""

import sqlite3

import pytest
from schema_helpers import schema_of, spider_gold, spider_schema

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.ask.repairs.unasked_joins import drop_unasked_joins
from datasette_llm.sql.join_links import Link

PETS = {
    "Student": ("StuID", "LName", "Fname", "Age", "Major"),
    "Has_Pet": ("StuID", "PetID"),
    "Pets": ("PetID", "PetType", "pet_age"),
}
PET_LINKS = (Link("Has_Pet", "StuID", "Student", "StuID"), Link("Has_Pet", "PetID", "Pets", "PetID"))
FLIGHTS = {
    "flights": ("Airline", "FlightNo", "SourceAirport"),
    "airlines": ("uid", "Airline", "Country"),
    "airports": ("AirportCode", "City"),
}
FLIGHT_LINKS = (
    Link("flights", "Airline", "airlines", "uid"),
    Link("flights", "SourceAirport", "airports", "AirportCode"),
)
STUDENT_PETS = "FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID JOIN Pets AS T3 ON T2.PetID = T3.PetID"


def doubts(sql, question="Which ones?", columns=PETS, links=PET_LINKS):
    return logic_doubts(sql, question, columns, links)


def test_two_values_of_one_column_in_one_row_can_never_match():
    found = doubts(f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType = 'cat' AND T3.PetType = 'dog'")
    assert found == [
        "T3.PetType = 'cat' AND T3.PetType = 'dog' can never hold for one row (T3.PetType has one value "
        "per row), so the query finds nothing; for things related to rows of both kinds, INTERSECT two "
        "queries"
    ]


def test_a_range_that_excludes_itself_can_never_match():
    found = doubts("SELECT Fname FROM Student WHERE Age < 18 AND Age > 21")
    assert len(found) == 1 and found[0].startswith("Age > 21 AND Age < 18 can never hold for one row")
    assert doubts("SELECT Fname FROM Student WHERE Age > 18 AND Age < 21") == []
    assert doubts("SELECT Fname FROM Student WHERE Age < 18 OR Age > 21") == []


def test_an_inequality_beside_an_equality_on_the_same_column_changes_nothing():
    found = doubts(
        f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType = 'dog' AND T3.PetType != 'cat'",
        "Students with a dog but no cat?",
    )
    assert found[0] == (
        "T3.PetType <> 'cat' changes nothing once T3.PetType = 'dog' (both test the same row); to "
        "leave out those that also have a row where T3.PetType = 'cat', write T1.StuID NOT IN (SELECT "
        "T2.StuID FROM Has_Pet AS T2 JOIN Pets AS T3 ON T2.PetID = T3.PetID WHERE T3.PetType = 'cat') "
        "in its place"
    )
    assert doubts("SELECT Fname FROM Student WHERE Major = 600 AND Major != 50")[0].endswith(
        "write NOT IN (SELECT ... WHERE Major = 50)"
    )  # no joined rows: no concrete form to offer


def test_either_value_is_not_both():
    sql = f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType IN ('cat', 'dog')"
    expected = (
        "T3.PetType IN ('cat', 'dog') keeps rows that match either value, but the question asks for both: "
        "INTERSECT a query for each value (or GROUP BY ... HAVING COUNT(DISTINCT ...) = 2)"
    )
    assert doubts(sql, "Students who have both a cat and a dog?") == [expected]
    assert doubts(sql, "Students who have a cat or a dog?") == []
    either = f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType = 'cat' OR T3.PetType = 'dog'"
    assert len(doubts(either, "Students with both a cat and a dog")) == 1
    intersect = (
        f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType = 'cat' INTERSECT "
        f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType = 'dog'"
    )
    assert doubts(intersect, "Students who have both a cat and a dog?") == []
    grouped = (
        f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType IN ('cat', 'dog') GROUP BY T1.StuID "
        "HAVING COUNT(DISTINCT T3.PetType) = 2"
    )
    assert doubts(grouped, "Students who have both a cat and a dog?") == []


def test_two_values_the_question_joins_with_and_are_not_either():
    listed = f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType IN ('cat', 'dog')"
    assert len(doubts(listed, "Which students have a 'cat' and a 'dog'?")) == 1
    liked = f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType LIKE '%cat%' OR T3.PetType LIKE '%dog%'"
    assert doubts(liked, "Students with pets cat and dog")[0].startswith(
        "T3.PetType LIKE '%cat%' OR T3.PetType LIKE '%dog%' keeps rows that match either value"
    )
    # a reference to another table selected from one table: a student may be in rows of both pets
    assert len(doubts("SELECT StuID FROM Has_Pet WHERE PetID IN ('p1', 'p2')", "Students with pets p1 and p2")) == 1
    assert len(doubts("SELECT * FROM Has_Pet WHERE PetID IN ('p1', 'p2')", "Students with pets p1 and p2")) == 1
    assert doubts(listed, "Students with a 'cat' or a 'dog'") == []
    assert doubts(listed, "Students with a cat and, or, a dog") == []  # an "or" between them: either
    assert doubts(listed, "Students with a cat") == []  # the question names one value
    three = f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.PetType IN ('cat', 'dog', 'rat')"
    assert doubts(three, "cat and dog and rat") == []


def test_two_things_named_with_and_in_one_table_are_listed_not_both():
    # Each row is one of the named things and holds one value: "A and B" lists them. Sent to INTERSECT, such
    # queries found nothing (an outside tester with the real model, session 30: 27 of 39 empty, then made-up
    # numbers). "both" still asks for both.
    assert doubts("SELECT pet_age FROM Pets WHERE PetType IN ('cat', 'dog')", "Ages of 'cat' and 'dog'?") == []
    assert doubts("SELECT Age FROM Student WHERE LName = 'Kim' OR LName = 'Lee'", "Ages of Kim and Lee?") == []
    assert doubts("SELECT * FROM Pets WHERE PetType IN ('cat', 'dog')", "Show cat and dog") == []
    assert len(doubts("SELECT pet_age FROM Pets WHERE PetType IN ('cat', 'dog')", "Ages of both cat and dog")) == 1
    grouped = "SELECT Major FROM Student WHERE Fname IN ('Ann', 'Bo') GROUP BY Major"
    assert len(doubts(grouped, "Majors of 'Ann' and 'Bo'")) == 1


def test_a_null_tested_on_an_inner_join_for_rows_without_one_is_questioned():
    sql = "SELECT T1.Fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID WHERE T2.PetID IS NULL"
    assert doubts(sql, "Which students have no pet?") == [
        "T2.PetID IS NULL is tested on the rows the JOIN found, so a Student row with no Has_Pet row is not there to "
        "test; to keep the Student rows that have none, write SELECT T1.Fname FROM Student AS T1 WHERE NOT T1.StuID "
        "IN (SELECT T2.StuID FROM Has_Pet AS T2)"
    ]
    assert doubts(sql.replace(" JOIN ", " LEFT JOIN "), "Which students have no pet?") == []  # the anti-join form
    assert doubts(sql, "Which students have a pet with an unknown id?") == []  # not a negation


def test_ids_grouped_and_shown_under_the_name_of_a_name_column_are_questioned():
    ids = "SELECT Airline FROM flights GROUP BY Airline HAVING COUNT(*) < 200"
    assert doubts(ids, "Which airlines have less than 200 flights?", FLIGHTS, FLIGHT_LINKS) == [
        "Airline is flights.Airline, which holds airlines.uid values (ids), not airlines.Airline: to show airlines, "
        "select and group by airlines.Airline (JOIN airlines ON flights.Airline = airlines.uid if it is not joined)"
    ]
    joined = (
        "SELECT T1.Airline FROM flights AS T1 JOIN airlines AS T2 ON T1.Airline = T2.uid GROUP BY T1.Airline "
        "ORDER BY COUNT(*) DESC LIMIT 1"
    )
    assert len(doubts(joined, "Which airline has most flights?", FLIGHTS, FLIGHT_LINKS)) == 1
    for fine in (
        joined.replace("T1.Airline FROM", "T2.Airline FROM").replace("BY T1.Airline", "BY T2.Airline"),
        "SELECT Airline, FlightNo FROM flights",  # not grouped: may be what was asked
        "SELECT SourceAirport FROM flights GROUP BY SourceAirport",
    ):  # airports has no SourceAirport
        assert doubts(fine, "Which airlines?", FLIGHTS, FLIGHT_LINKS) == [], fine


def test_ids_of_one_table_compared_with_ids_of_another_are_questioned():
    columns = {"battle": ("id", "name"), "ship": ("id", "lost_in_battle"), "death": ("id", "caused_by_ship_id")}
    links = (Link("ship", "lost_in_battle", "battle", "id"), Link("death", "caused_by_ship_id", "ship", "id"))
    wrong = "SELECT name FROM battle WHERE id IN (SELECT caused_by_ship_id FROM death)"
    assert logic_doubts(wrong, "Battles with deaths?", columns, links) == [
        "id IN (SELECT caused_by_ship_id FROM death) compares battle.id (battle ids) with death.caused_by_ship_id "
        "(ship ids); the foreign keys link them through ship.lost_in_battle = battle.id"
    ]
    correlated = (
        "SELECT b.name FROM battle AS b WHERE EXISTS (SELECT 1 FROM death AS d WHERE d.caused_by_ship_id = b.id)"
    )
    assert len(logic_doubts(correlated, "Battles with deaths?", columns, links)) == 1
    for fine in (
        "SELECT name FROM battle WHERE id IN (SELECT lost_in_battle FROM ship)",
        "SELECT name FROM battle WHERE id IN (SELECT lost_in_battle FROM ship WHERE id IN "
        "(SELECT caused_by_ship_id FROM death))",
        "SELECT name FROM battle WHERE name IN (SELECT id FROM death)",
    ):  # name: nobody's ids
        assert logic_doubts(fine, "Battles with deaths?", columns, links) == [], fine


def test_a_subquery_that_selects_a_column_of_the_outer_query_is_questioned():
    sql = "SELECT Fname FROM Student WHERE Fname NOT IN (SELECT Fname FROM Has_Pet)"
    assert doubts(sql, "Students without pets?") == [
        "the subquery selects Fname, which Has_Pet does not have, so it reads the outer Student row: the same value "
        "for every row of the subquery; to read it from the subquery's rows, join through Has_Pet.StuID = "
        "Student.StuID"
    ]
    for fine, question in (
        ("SELECT Fname FROM Student WHERE StuID NOT IN (SELECT StuID FROM Has_Pet)", "Students without pets?"),
        (
            "SELECT Fname FROM Student AS s WHERE EXISTS (SELECT 1 FROM Has_Pet AS h WHERE h.StuID = s.StuID)",
            "Students with pets?",
        ),
        (
            "SELECT Fname FROM Student WHERE StuID IN (SELECT x.StuID FROM (SELECT StuID FROM Has_Pet) AS x)",
            "Students with pets?",
        ),
    ):
        assert doubts(fine, question) == [], fine


def test_a_column_of_another_table_the_question_names_word_by_word_is_questioned():
    sql = "SELECT City FROM airports GROUP BY City ORDER BY COUNT(*) DESC LIMIT 1"
    assert doubts(sql, "Which city is the most frequent source airport?", FLIGHTS, FLIGHT_LINKS) == [
        "the question names source airport: that is flights.SourceAirport, which the query does not read (join "
        "through flights.SourceAirport = airports.AirportCode)"
    ]
    for fine, question in [
        (
            "SELECT T1.City, T2.FlightNo FROM airports AS T1 JOIN flights AS T2 ON T1.AirportCode = T2.SourceAirport",
            "Source airport cities?",
        ),  # read
        (sql, "Which city has the most airports?"),  # not named
        ("SELECT City FROM airports", "Which airport is a source, which city?"),  # not word by word in order
        ("SELECT Country FROM airlines", "Which flight no?"),
    ]:  # FlightNo: 'no' is too short to tell
        assert doubts(fine, question, FLIGHTS, FLIGHT_LINKS) == [], fine


def test_a_row_limit_the_question_does_not_ask_for_is_questioned():
    sql = "SELECT Fname, LName FROM Student LIMIT 2"
    assert doubts(sql, "What are the first and last names of all students?") == [
        "LIMIT 2 without ORDER BY keeps 2 arbitrary rows, but the question gives no number of rows: leave the "
        "LIMIT out unless the question asks for that many"
    ]
    assert doubts("SELECT Fname FROM Student ORDER BY Age LIMIT 2", "Which students are oldest?") == []
    for question in ("Names of the 2 oldest students?", "Names of the two oldest students?", "Top Two students"):
        assert doubts(sql, question) == [], question
    assert doubts("SELECT Fname FROM Student ORDER BY Age LIMIT 1", "Youngest student?") == []
    assert logic_doubts("SELECT Fname FROM Student LIMIT 50", "Students?", PETS, PET_LINKS, row_cap=50) == []
    assert doubts("SELECT Fname FROM Student WHERE StuID IN (SELECT StuID FROM Has_Pet LIMIT 5)", "Who?") == []


def test_counting_groups_of_one_row_is_questioned():
    sql = "SELECT Fname FROM Student GROUP BY StuID ORDER BY COUNT(*) DESC LIMIT 1"
    assert doubts(sql, "Which student has the most pets?") == [
        "GROUP BY StuID makes every group one Student row (StuID is a key other tables refer to), so COUNT is 1 in "
        "each; to count the related rows, JOIN the table that refers to it: Has_Pet ON Has_Pet.StuID = Student.StuID"
    ]
    for fine in (
        "SELECT Major, COUNT(*) FROM Student GROUP BY Major",  # not a key: groups of many rows
        "SELECT Fname FROM Student GROUP BY StuID",  # no count
        "SELECT T1.Fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID GROUP BY T1.StuID "
        "ORDER BY COUNT(*) DESC LIMIT 1",
    ):
        assert doubts(fine) == [], fine


def test_a_negation_tested_on_a_joined_row_keeps_those_with_other_rows():
    sql = f"SELECT T1.Major, T1.Age {STUDENT_PETS} WHERE T3.PetType != 'cat'"
    assert doubts(sql, "Major and age of students who do not have a cat?") == [
        "T3.PetType <> 'cat' is tested on each joined Pets row, so a Student row with T3.PetType = 'cat' and also "
        "another Pets row is still kept through the other; to leave out every Student row that has one, write "
        "SELECT T1.Major, T1.Age FROM Student AS T1 WHERE NOT T1.StuID IN (SELECT T2.StuID FROM Has_Pet AS T2 JOIN "
        "Pets AS T3 ON T2.PetID = T3.PetID WHERE T3.PetType = 'cat')"
    ]
    uses_the_pet = f"SELECT T1.Major, T3.pet_age {STUDENT_PETS} WHERE T3.PetType != 'cat'"
    assert doubts(uses_the_pet, "Students who do not have a cat, with their pets' ages")[0].endswith(
        "write T1.StuID NOT IN (SELECT T2.StuID FROM Has_Pet AS T2 JOIN Pets AS T3 ON T2.PetID = T3.PetID WHERE "
        "T3.PetType = 'cat') in place of T3.PetType <> 'cat'"
    )  # the JOINs stay: the query reads the pets
    assert doubts(sql, "Major and age of students with pets other than cats") == []  # no negation asked for
    not_like = f"SELECT T1.Major {STUDENT_PETS} WHERE NOT T3.PetType LIKE 'c%'"
    assert len(doubts(not_like, "Students who don't have a cat")) == 1


def test_a_negation_on_the_row_itself_or_on_a_row_it_references_is_fine():
    assert doubts("SELECT Fname FROM Student WHERE Major != 600", "Students not in major 600") == []
    flights = (
        "SELECT T1.FlightNo FROM flights AS T1 JOIN airlines AS T2 ON T1.Airline = T2.uid WHERE T2.Airline != 'United'"
    )
    assert doubts(flights, "Flights not run by United", FLIGHTS, FLIGHT_LINKS) == []


def test_a_join_that_only_repeats_rows_is_questioned():
    sql = "SELECT T1.Fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID WHERE T1.Age > 20"
    assert doubts(sql) == [
        "the JOIN with Has_Pet uses none of its columns but repeats each Student row once per related Has_Pet row "
        "(and drops those with none); leave it out, or use DISTINCT if only those with a related row are wanted"
    ]
    for fine in (
        sql.replace("SELECT", "SELECT DISTINCT"),
        sql.replace("T1.Fname", "T1.Fname, T2.PetID"),
        sql + " GROUP BY T1.Fname",
        sql.replace("T1.Fname", "COUNT(*)"),
        sql + " ORDER BY T1.Age LIMIT 1",
        f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.pet_age > 2",  # Has_Pet leads to a used table
        "SELECT Fname FROM Student WHERE StuID IN (SELECT T1.StuID FROM Student AS T1 JOIN Has_Pet AS T2 "
        "ON T1.StuID = T2.StuID)",
    ):
        assert doubts(fine) == [], fine
    many_to_one = "SELECT T1.FlightNo FROM flights AS T1 JOIN airlines AS T2 ON T1.Airline = T2.uid"
    assert doubts(many_to_one, columns=FLIGHTS, links=FLIGHT_LINKS) == []


def test_a_join_that_only_repeats_rows_of_a_table_the_question_does_not_name_is_dropped():
    sql = "SELECT T1.Fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID WHERE T1.Age > 20"
    assert drop_unasked_joins(sql, "Students older than 20?", PETS, PET_LINKS) == (
        "SELECT T1.Fname FROM Student AS T1 WHERE T1.Age > 20",
        "left out the JOIN with Has_Pet: the query uses none of its columns, the question does not mention it, and "
        "it only repeated (and filtered) rows",
    )
    distinct = f"SELECT DISTINCT T1.Fname {STUDENT_PETS}"  # the whole unused chain goes
    assert (
        drop_unasked_joins(distinct, "First names of students?", PETS, PET_LINKS)[0]
        == "SELECT DISTINCT T1.Fname FROM Student AS T1"
    )
    for question in ("Students older than 20 who have pets?", "Students with a pet?"):  # named: kept
        assert drop_unasked_joins(sql, question, PETS, PET_LINKS) is None
    for kept in (
        sql.replace("T1.Fname", "COUNT(*)"),
        sql + " GROUP BY T1.Fname",
        sql + " LIMIT 1",
        sql.replace("T1.Fname", "T1.Fname, T2.PetID"),
        f"SELECT T1.Fname {STUDENT_PETS} WHERE T3.pet_age > 2",
        sql + " UNION SELECT Fname FROM Student",
        "SELECT T1.Fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID AND T2.PetID > 1",
    ):
        assert drop_unasked_joins(kept, "Students older than 20?", PETS, PET_LINKS) is None, kept
    many_to_one = "SELECT T1.FlightNo FROM flights AS T1 JOIN airlines AS T2 ON T1.Airline = T2.uid"
    assert drop_unasked_joins(many_to_one, "Flight numbers?", FLIGHTS, FLIGHT_LINKS) is None  # filters only


def test_a_table_keyed_by_its_foreign_key_does_not_repeat_rows(tmp_path):
    conn = sqlite3.connect(tmp_path / "cars.db")
    conn.executescript(
        "create table car_names (MakeId integer primary key, Model text); "
        "create table cars_data (Id integer primary key references car_names(MakeId), MPG real); "
        "create table sales (id integer primary key, MakeId integer references car_names(MakeId))"
    )
    columns, links = schema_of(conn, ("car_names", "cars_data", "sales"))
    assert [link.one_to_one for link in links] == [True, False]
    one_to_one = "SELECT T1.Model FROM car_names AS T1 JOIN cars_data AS T2 ON T1.MakeId = T2.Id"
    assert logic_doubts(one_to_one, "Models?", columns, links) == []
    one_to_many = "SELECT T1.Model FROM car_names AS T1 JOIN sales AS T2 ON T1.MakeId = T2.MakeId"
    assert len(logic_doubts(one_to_many, "Models?", columns, links)) == 1


def test_unparseable_sql_raises_no_doubt():
    assert doubts("SELECT FROM WHERE") == []


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
def test_no_spider_gold_query_raises_a_doubt():
    doubted = [
        item["query"]
        for item in spider_gold()
        if logic_doubts(item["query"], item["question"], *spider_schema(item["db_id"]))
    ]
    assert len({item["db_id"] for item in spider_gold()}) == 10 and doubted == []


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
def test_no_join_of_a_spider_gold_query_is_dropped():
    assert [
        item["query"]
        for item in spider_gold()
        if drop_unasked_joins(item["query"], item["question"], *spider_schema(item["db_id"]))
    ] == []


def test_hostile_and_malformed_sql_never_breaks_the_checks():
    from hostile_sql import HOSTILE_SQL

    columns = {"dogs": ("id", "name", "age", "owner_id"), "owners": ("id", "name", "city")}
    links = (Link("dogs", "owner_id", "owners", "id"),)
    for _, sql, _ in HOSTILE_SQL:
        for question in ("Which dogs have both a name and no owner?", "Which dogs?"):
            assert isinstance(logic_doubts(sql, question, columns, links), list), sql


def test_a_join_on_columns_no_foreign_key_links_is_questioned():
    cars = {
        "car_makers": ("Id", "Maker", "FullName"),
        "model_list": ("ModelId", "Maker", "Model"),
        "car_names": ("MakeId", "Model", "Make"),
    }
    links = (Link("model_list", "Maker", "car_makers", "Id"), Link("car_names", "Model", "model_list", "Model"))
    off_key = "SELECT DISTINCT T1.FullName FROM car_makers AS T1 JOIN car_names AS T2 ON T1.Id = T2.Make"
    assert logic_doubts(off_key, "Makers?", cars, links) == [
        "ON T1.Id = T2.Make compares car_makers.Id with car_names.Make, which no foreign key links; the foreign keys "
        "go model_list.Maker = car_makers.Id, car_names.Model = model_list.Model"
    ]
    on_key = (
        "SELECT DISTINCT T1.FullName FROM car_makers AS T1 JOIN model_list AS T2 ON T2.Maker = T1.Id "
        "JOIN car_names AS T3 ON T2.Model = T3.Model"
    )
    assert logic_doubts(on_key, "Makers?", cars, links) == []
    unrelated = {"a": ("id", "x"), "b": ("id", "x")}  # no foreign keys at all: nothing to compare with
    assert logic_doubts("SELECT a.id FROM a JOIN b ON a.x = b.x", "?", unrelated, ()) == []


@pytest.mark.parametrize(
    "spelling, first",
    [("T1.Id = T2.Id", "T1.Id"), ("T2.id = T1.ID", "T1.ID"), ("T1.Id = T2.Id AND T1.Maker = T2.Maker", "T1.Id")],
)
def test_a_table_joined_to_itself_on_its_key_is_questioned_with_the_join_that_refers_to_it(spelling, first):
    cars = {"car_makers": ("Id", "Maker", "FullName", "Country"), "model_list": ("ModelId", "Maker", "Model")}
    links = (Link("model_list", "Maker", "car_makers", "Id"),)
    on_itself = f"SELECT T2.FullName, count(*) FROM car_makers AS T1 JOIN car_makers AS T2 ON {spelling} GROUP BY T2.Id"
    left = spelling.split(" AND ")[0]
    key = left.split(" = ")[0].split(".")[1]
    (doubt,) = logic_doubts(on_itself, "How many models does each maker produce?", cars, links)
    assert doubt.startswith(
        f"ON {left} joins car_makers to itself on its key {key}, so each row meets only itself and the JOIN adds "
        "nothing; the rows that refer to it are in model_list.Maker = car_makers.Id; to join those, write "
    )
    # The query it spells out counts each maker's models, as SQLite counts them.
    written = doubt.split("; to join those, write ")[1]
    assert written == (
        f"SELECT T1.FullName, COUNT(*) FROM car_makers AS T1 JOIN model_list AS T2 ON {first} = T2.Maker GROUP BY T1.Id"
    )
    db = sqlite3.connect(":memory:")
    db.executescript(
        "CREATE TABLE car_makers (Id INTEGER PRIMARY KEY, Maker TEXT, FullName TEXT, Country TEXT);"
        "CREATE TABLE model_list (ModelId INTEGER PRIMARY KEY, Maker INTEGER REFERENCES car_makers(Id), Model TEXT);"
        "INSERT INTO car_makers VALUES (1, 'vw', 'Volkswagen', 'de'), (2, 'fiat', 'Fiat', 'it'),"
        " (3, 'kia', 'Kia', 'kr');"
        "INSERT INTO model_list VALUES (1, 1, 'golf'), (2, 1, 'polo'), (3, 1, 'up'), (4, 2, 'panda');"
    )
    assert sorted(db.execute(written).fetchall()) == [("Fiat", 1), ("Volkswagen", 3)]
    assert sorted(db.execute(on_itself).fetchall()) == [("Fiat", 1), ("Kia", 1), ("Volkswagen", 1)]  # what it was
    # Two tables refer to the key: both are named, no query is spelled out; nor inside another statement.
    two = (*links, Link("factories", "Maker", "car_makers", "Id"))
    (named,) = logic_doubts(on_itself, "?", {**cars, "factories": ("Maker", "City")}, two)
    assert named.endswith("in model_list.Maker = car_makers.Id, factories.Maker = car_makers.Id")
    inner = f"SELECT count(*) FROM ({on_itself})"
    (inside,) = logic_doubts(inner, "?", cars, links)
    assert inside.endswith("the rows that refer to it are in model_list.Maker = car_makers.Id")
    # Rows paired by a value many rows share, a key no foreign key refers to, two different columns: real pairs.
    same_country = "SELECT T1.Maker, T2.Maker FROM car_makers AS T1 JOIN car_makers AS T2 ON T1.Country = T2.Country"
    assert logic_doubts(same_country, "Which makers share a country?", cars, links) == []
    models = "SELECT T1.Model FROM model_list AS T1 JOIN model_list AS T2 ON T1.ModelId = T2.ModelId"
    assert logic_doubts(models, "Models?", cars, links) == []
    parents = {"staff": ("id", "boss_id", "name")}
    boss = "SELECT T1.name, T2.name FROM staff AS T1 JOIN staff AS T2 ON T1.boss_id = T2.id"
    assert logic_doubts(boss, "Who is whose boss?", parents, (Link("staff", "boss_id", "staff", "id"),)) == []


MUSEUM = {"visitor": ("ID", "Name", "Age"), "visit": ("Museum_ID", "visitor_ID", "Num_of_Ticket", "Total_spent")}
MUSEUM_LINKS = (Link("visit", "visitor_ID", "visitor", "ID"),)
ONE_VISIT = "SELECT T1.Name FROM visitor AS T1 JOIN visit AS T2 ON T1.ID = T2.visitor_ID ORDER BY T2.Total_spent"


@pytest.mark.parametrize("total", ["in total", "altogether", "all together", "combined", "added up", "the sum of"])
@pytest.mark.parametrize("direction", [" DESC", ""])
def test_ranking_by_one_joined_row_for_a_total_is_questioned(total, direction):
    question = f"Which visitor spent the most money {total}?"
    assert logic_doubts(f"{ONE_VISIT}{direction} LIMIT 1", question, MUSEUM, MUSEUM_LINKS) == [
        "ORDER BY T2.Total_spent ranks single visit rows (one visitor has many), so no visitor's visit rows are "
        "added up, though the question asks for a total; to rank each visitor by the total of its visit rows, write "
        "SELECT T1.Name FROM visitor AS T1 JOIN visit AS T2 ON T1.ID = T2.visitor_ID GROUP BY T1.ID "
        f"ORDER BY SUM(T2.Total_spent){direction} LIMIT 1"
    ]
    # The query it spells out ranks visitors by what they spent over all their visits, as SQLite adds it up.
    db = sqlite3.connect(":memory:")
    db.executescript(
        "CREATE TABLE visitor (ID INTEGER PRIMARY KEY, Name TEXT, Age INTEGER);"
        "CREATE TABLE visit (Museum_ID INTEGER, visitor_ID INTEGER, Num_of_Ticket INTEGER, Total_spent REAL);"
        "INSERT INTO visitor VALUES (1, 'Ann', 30), (2, 'Bo', 40), (3, 'Cy', 50);"
        "INSERT INTO visit VALUES (1, 1, 1, 90), (2, 2, 1, 60), (3, 2, 1, 50), (1, 3, 1, 20);"
    )
    (doubt,) = logic_doubts(f"{ONE_VISIT}{direction} LIMIT 1", question, MUSEUM, MUSEUM_LINKS)
    totals = {"Ann": 90, "Bo": 110, "Cy": 20}
    wanted = max(totals, key=totals.get) if direction else min(totals, key=totals.get)
    assert db.execute(doubt.split(", write ")[1]).fetchall() == [(wanted,)]
    assert db.execute(f"{ONE_VISIT}{direction} LIMIT 1").fetchall() == [("Ann" if direction else "Cy",)]


@pytest.mark.parametrize(
    "sql, question",
    [
        (f"{ONE_VISIT} DESC LIMIT 1", "Which visitor spent the most in one visit?"),  # no total asked for
        (f"{ONE_VISIT} DESC LIMIT 1", "Which visitor spent the most at once?"),
        (
            "SELECT T1.Name FROM visitor AS T1 JOIN visit AS T2 ON T1.ID = T2.visitor_ID GROUP BY T1.ID "
            "ORDER BY SUM(T2.Total_spent) DESC LIMIT 1",
            "Which visitor spent the most in total?",
        ),
        (  # the visit's own figure is shown: the rows are visits
            "SELECT T1.Name, T2.Total_spent FROM visitor AS T1 JOIN visit AS T2 ON T1.ID = T2.visitor_ID "
            "ORDER BY T2.Total_spent DESC",
            "List the visits, combined with their visitor's name, by money spent",
        ),
        (  # ranked by the table referred to, one row per visit: nothing repeats
            "SELECT T2.Total_spent FROM visit AS T2 JOIN visitor AS T1 ON T1.ID = T2.visitor_ID ORDER BY T1.Age DESC",
            "Money spent in total per visit, by the visitor's age",
        ),
    ],
)
def test_ranking_by_one_row_where_no_total_is_asked_for_or_rows_are_added_up_is_fine(sql, question):
    assert logic_doubts(sql, question, MUSEUM, MUSEUM_LINKS) == []


def test_a_column_compared_with_the_extreme_of_another_column_is_questioned():
    cars = {"cars_data": ("Id", "Accelerate", "Horsepower")}
    sql = "SELECT COUNT(*) FROM cars_data WHERE Accelerate > (SELECT MAX(Horsepower) FROM cars_data)"
    assert logic_doubts(sql, "?", cars, ()) == [
        "Accelerate > (SELECT MAX(Horsepower) FROM cars_data) compares Accelerate with a value of Horsepower; to "
        "compare with the Accelerate of the row with the largest Horsepower, use (SELECT Accelerate FROM cars_data "
        "ORDER BY Horsepower DESC LIMIT 1)"
    ]
    same = "SELECT COUNT(*) FROM cars_data WHERE Accelerate > (SELECT MIN(Accelerate) FROM cars_data)"
    assert logic_doubts(same, "?", cars, ()) == []
    average = "SELECT COUNT(*) FROM cars_data WHERE Accelerate > (SELECT AVG(Horsepower) FROM cars_data)"
    assert logic_doubts(average, "?", cars, ()) == []


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
@pytest.mark.asyncio
async def test_spider_gold_with_the_links_ask_infers_raises_no_doubt_and_needs_no_mend():
    """As Ask sees the databases: declared foreign keys plus those inferred from the data (flight_2's Airline)."""
    from datasette.app import Datasette
    from schema_helpers import SPIDER

    from datasette_llm.ask.repairs.implicit_keys import implicit_links
    from datasette_llm.ask.repairs.key_literals import mend_key_literals
    from datasette_llm.ask.repairs.value_hints import Probe
    from datasette_llm.ask.schema_tables import load_tables
    from datasette_llm.sql.join_links import foreign_links

    flagged, inferred = [], 0
    for db_id in sorted({item["db_id"] for item in spider_gold()}):
        datasette = Datasette([str(SPIDER / "database" / db_id / f"{db_id}.sqlite")])
        tables = await load_tables(datasette, db_id, None)
        db, allowed = datasette.get_database(db_id), {t.name for t in tables}
        columns = {t.name: t.columns for t in tables}
        declared = foreign_links(tables)
        found = await implicit_links(Probe(db, allowed, 5000), tables, declared)
        inferred += len(found)
        for item in (i for i in spider_gold() if i["db_id"] == db_id):
            sql = item["query"].replace('"', "'")
            if (
                logic_doubts(sql, item["question"], columns, declared + found)
                or drop_unasked_joins(sql, item["question"], columns, declared + found)
                or await mend_key_literals(Probe(db, allowed, 5000), sql, columns, declared + found)
            ):
                flagged.append(item["query"])
    assert inferred == 1 and flagged == []  # flights.Airline -> airlines.uid
