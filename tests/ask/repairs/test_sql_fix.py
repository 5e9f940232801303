"""Deterministic repairs of names the model got almost right: applied when exactly one fix fits, else None."""

import pytest

from datasette_llm.ask.repairs.join_mends import drop_broken_join, join_missing_table
from datasette_llm.ask.repairs.sql_fix import (
    auto_fix,
    date_part,
    fix_ambiguous,
    fix_outer_aggregates,
)
from datasette_llm.sql.join_links import Link
from datasette_llm.sql.results import Rejection, SchemaInfo

pytestmark = pytest.mark.no_datasette

PETS = SchemaInfo(
    tables={
        "Student": ("StuID", "LName", "Fname", "Age", "Major"),
        "Has_Pet": ("StuID", "PetID"),
        "Pets": ("PetID", "PetType", "pet_age"),
    },
    links=(Link("Has_Pet", "StuID", "Student", "StuID"), Link("Has_Pet", "PetID", "Pets", "PetID")),
)
STUDENT_PETS = "FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID JOIN Pets AS T3 ON T2.PetID = T3.PetID"
CARS = SchemaInfo(
    tables={
        "cars_data": ("Id", "MPG", "Horsepower", "Weight", "Year"),
        "car_names": ("MakeId", "Model", "Make"),
        "model_list": ("ModelId", "Maker", "Model"),
        "car_makers": ("Id", "Maker", "FullName", "Country"),
    },
    links=(
        Link("cars_data", "Id", "car_names", "MakeId"),
        Link("car_names", "Model", "model_list", "Model"),
        Link("model_list", "Maker", "car_makers", "Id"),
    ),
)
CONCERTS = SchemaInfo(
    tables={
        "stadium": ("Stadium_ID", "Name"),
        "concert": ("concert_ID", "Stadium_ID", "Year"),
        "singer_in_concert": ("concert_ID", "Singer_ID"),
    },
    links=(
        Link("concert", "Stadium_ID", "stadium", "Stadium_ID"),
        Link("singer_in_concert", "concert_ID", "concert", "concert_ID"),
    ),
)


def column(identifier):
    return Rejection(f"no such column: {identifier}", "unknown_column", identifier)


def table(identifier):
    return Rejection(f"no such table: {identifier}", "unknown_table", identifier)


# -- auto_fix: unknown columns ----------------------------------------------------------------------------


def test_a_column_spelled_with_other_underscores_and_case_is_renamed():
    assert auto_fix("select pet_type from Pets", column("pet_type"), PETS) == (
        "SELECT PetType FROM Pets",
        "pet_type → PetType",
    )


def test_a_quoted_qualified_column_is_renamed_and_keeps_its_qualifier():
    assert auto_fix('select "T1"."pet_type" from Pets AS T1', column('"T1"."pet_type"'), PETS) == (
        'SELECT "T1".PetType FROM Pets AS T1',
        "pet_type → PetType",
    )


def test_a_column_read_from_the_wrong_alias_moves_to_the_one_table_that_has_it():
    fixed = auto_fix(f"select T1.PetType {STUDENT_PETS}", column("T1.PetType"), PETS)
    # The new qualifier is the alias as the query's tables were indexed (lower case); SQLite does not mind.
    assert fixed == (f"SELECT t3.PetType {STUDENT_PETS}", "PetType belongs to Pets")
    fixed = auto_fix(
        "select T2.Fname from Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID", column("T2.Fname"), PETS
    )
    assert fixed == (
        "SELECT t1.Fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID",
        "Fname belongs to Student",
    )


def test_a_column_of_no_table_in_the_query_is_left_to_the_model():
    assert auto_fix("select nope from Pets", column("nope"), PETS) is None
    # Fname is Student's, but Student is not in the query: that needs a JOIN (join_missing_table), not a rename.
    assert auto_fix("select T2.Fname from Has_Pet AS T2", column("T2.Fname"), PETS) is None


def test_a_column_two_tables_of_the_query_have_is_not_guessed():
    schema = SchemaInfo(tables={"a": ("id",), "b": ("id", "name"), "c": ("id", "name")})
    sql = "select a.name from a join b on a.id = b.id join c on c.id = a.id"
    assert auto_fix(sql, column("a.name"), schema) is None


def test_two_columns_that_normalise_alike_are_not_guessed():
    schema = SchemaInfo(tables={"a": ("pet_type", "PetType")})
    assert auto_fix("select pettype from a", column("pettype"), schema) is None


def test_an_on_clause_is_not_turned_into_a_comparison_of_a_column_with_itself():
    # Only T1's table has Model and no foreign key joins the two: a table is missing, so nothing is changed.
    unlinked = SchemaInfo(tables={"a": ("id", "Model"), "b": ("id",)})
    sql = "select T1.id from a AS T1 JOIN b AS T2 ON T1.Model = T2.Model"
    assert auto_fix(sql, column("T2.Model"), unlinked) is None
    # With a foreign key between them the qualifier is fixed (join_links then relinks the ON clause on the key).
    linked = SchemaInfo(tables=unlinked.tables, links=(Link("b", "id", "a", "id"),))
    assert auto_fix(sql, column("T2.Model"), linked) == (
        "SELECT T1.id FROM a AS T1 JOIN b AS T2 ON T1.Model = t1.Model",
        "Model belongs to a",
    )


# -- auto_fix: unknown tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, identifier, fixed",
    [
        ("select * from student", "student", "SELECT * FROM Student"),  # case
        ("select * from has_pets", "has_pets", "SELECT * FROM Has_Pet"),  # plural
        ("select PetType from pet", "pet", "SELECT PetType FROM Pets"),  # singular
        ("select * from HasPet", "HasPet", "SELECT * FROM Has_Pet"),  # underscores
    ],
)
def test_a_table_name_that_fits_one_table_is_fixed(sql, identifier, fixed):
    assert auto_fix(sql, table(identifier), PETS) == (fixed, f"{identifier} → {fixed.rsplit(' ', 1)[-1]}")


def test_a_table_name_that_fits_none_or_two_tables_is_left_alone():
    assert auto_fix("select * from nothing", table("nothing"), PETS) is None
    two = SchemaInfo(tables={"pet_type": ("x",), "PetType": ("y",)})
    assert auto_fix("select * from pettype", table("pettype"), two) is None


def test_an_exact_name_wins_over_a_plural():
    schema = SchemaInfo(tables={"Pet": ("x",), "Pets": ("y",)})
    assert auto_fix("select * from pet_s", table("pet_s"), schema) == ("SELECT * FROM Pets", "pet_s → Pets")


def test_a_table_the_actor_may_not_read_is_never_suggested():
    assert auto_fix("select * from pet", table("pet"), PETS, allowed={"Student", "Has_Pet"}) is None
    assert auto_fix("select * from pet", table("pet"), PETS, allowed={"Pets"}) == ("SELECT * FROM Pets", "pet → Pets")


def test_other_rejections_and_unparsable_sql_are_not_fixed():
    assert auto_fix("select 1; select 2", Rejection("one statement", "multiple_statements"), PETS) is None
    assert auto_fix("select pet_type from Pets", Rejection("no such column", "unknown_column", None), PETS) is None
    assert auto_fix("select (", column("pet_type"), PETS) is None


# -- join_missing_table -----------------------------------------------------------------------------------


def test_a_column_of_a_table_not_in_the_query_is_joined_through_the_foreign_keys():
    assert join_missing_table("SELECT Model FROM model_list WHERE Horsepower > 150", column("Horsepower"), CARS) == (
        "SELECT Model FROM model_list JOIN car_names ON model_list.Model = car_names.Model "
        "JOIN cars_data ON car_names.MakeId = cars_data.Id WHERE cars_data.Horsepower > 150",
        "Horsepower is a column of cars_data: joined it through car_names.Model = model_list.Model, "
        "cars_data.Id = car_names.MakeId",
    )


def test_the_join_starts_from_the_alias_the_query_uses():
    fixed = join_missing_table(
        "SELECT T1.Model FROM model_list AS T1 WHERE T1.Horsepower > 150", column("T1.Horsepower"), CARS
    )
    assert fixed[0] == (
        "SELECT T1.Model FROM model_list AS T1 JOIN car_names ON T1.Model = car_names.Model "
        "JOIN cars_data ON car_names.MakeId = cars_data.Id WHERE cars_data.Horsepower > 150"
    )


def test_no_join_when_the_column_has_no_single_reachable_home():
    # Model is in both car_names and model_list: which one is meant is the model's call.
    assert join_missing_table("SELECT FullName FROM car_makers WHERE Model = 'x'", column("Model"), CARS) is None
    # In no table at all.
    assert join_missing_table("SELECT Model FROM model_list WHERE Colour = 'red'", column("Colour"), CARS) is None
    # No foreign key reaches the table.
    no_links = SchemaInfo(tables=CARS.tables)
    sql = "SELECT Model FROM model_list WHERE Horsepower > 150"
    assert join_missing_table(sql, column("Horsepower"), no_links) is None
    # The table that has it is one the actor may not read.
    assert join_missing_table(sql, column("Horsepower"), CARS, allowed={"model_list", "car_names"}) is None
    # Not an unknown column.
    assert join_missing_table(sql, table("Horsepower"), CARS) is None


def test_an_unqualified_correlated_reference_is_not_joined_again():
    # MPG is the outer query's cars_data column, read from inside the subquery.
    sql = "SELECT Id FROM cars_data WHERE EXISTS (SELECT 1 FROM car_names WHERE MPG > 1)"
    assert join_missing_table(sql, column("MPG"), CARS) is None


# -- drop_broken_join -------------------------------------------------------------------------------------

BROKEN = (
    "SELECT S.Name FROM stadium AS S JOIN singer_in_concert AS T ON S.Stadium_ID = T.Stadium_ID "
    "JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID"
)


def test_a_join_whose_on_clause_reads_a_missing_column_and_that_nothing_uses_is_dropped():
    assert drop_broken_join(BROKEN, column("T.Stadium_ID"), CONCERTS) == (
        "SELECT S.Name FROM stadium AS S JOIN concert AS C ON C.Stadium_ID = S.Stadium_ID",
        "left out the JOIN with singer_in_concert: its ON clause reads T.Stadium_ID, which does not exist, and "
        "nothing else in the query reads that table",
    )


def test_a_broken_join_is_kept_when_the_query_reads_its_table_or_it_is_the_only_join():
    assert drop_broken_join(BROKEN.replace("S.Name", "S.Name, T.Singer_ID"), column("T.Stadium_ID"), CONCERTS) is None
    # Unqualified, but only singer_in_concert has Singer_ID.
    assert drop_broken_join(BROKEN.replace("S.Name", "Singer_ID"), column("T.Stadium_ID"), CONCERTS) is None
    only = "SELECT S.Name FROM stadium AS S JOIN singer_in_concert AS T ON S.Stadium_ID = T.Stadium_ID"
    assert drop_broken_join(only, column("T.Stadium_ID"), CONCERTS) is None


def test_a_join_is_not_dropped_for_a_column_its_table_has():
    assert drop_broken_join(BROKEN, column("C.Stadium_ID"), CONCERTS) is None


# -- fix_outer_aggregates ---------------------------------------------------------------------------------


def test_an_aggregate_over_the_outer_alias_reads_the_subquerys_own_table():
    sql = (
        "SELECT T2.Model FROM cars_data AS T1 JOIN car_names AS T2 ON T1.Id = T2.MakeId "
        "WHERE T1.Weight < (SELECT AVG(T1.Weight) FROM cars_data)"
    )
    assert fix_outer_aggregates(sql) == (
        "SELECT T2.Model FROM cars_data AS T1 JOIN car_names AS T2 ON T1.Id = T2.MakeId "
        "WHERE T1.Weight < (SELECT AVG(cars_data.Weight) FROM cars_data)",
        "T1.Weight inside AVG() → cars_data.Weight (the subquery's own table)",
    )


def test_every_aggregate_of_the_subquery_is_fixed_and_described():
    sql = "SELECT Id FROM cars_data AS T1 WHERE T1.Weight < (SELECT MAX(T1.Weight) + MIN(T1.MPG) FROM cars_data AS C)"
    assert fix_outer_aggregates(sql) == (
        "SELECT Id FROM cars_data AS T1 WHERE T1.Weight < (SELECT MAX(C.Weight) + MIN(C.MPG) FROM cars_data AS C)",
        "T1.Weight inside MAX() → C.Weight (the subquery's own table); "
        "T1.MPG inside MIN() → C.MPG (the subquery's own table)",
    )


@pytest.mark.parametrize(
    "sql",
    [
        # Nothing outer inside the aggregate.
        "SELECT Id FROM cars_data AS T1 WHERE T1.Weight < (SELECT AVG(Weight) FROM cars_data)",
        # The subquery reads another table: the outer reference may be meant.
        "SELECT Id FROM cars_data AS T1 WHERE T1.Weight < (SELECT AVG(T1.Weight) FROM car_names)",
        # The subquery reads the table twice: which copy is meant is a guess.
        "SELECT Id FROM cars_data AS T1 WHERE T1.Weight < "
        "(SELECT AVG(T1.Weight) FROM cars_data AS A JOIN cars_data AS B ON A.Id = B.Id)",
        "SELECT (",
    ],
)
def test_aggregates_with_no_single_fix_are_left_alone(sql):
    assert fix_outer_aggregates(sql) is None


# -- fix_ambiguous ----------------------------------------------------------------------------------------

DOCS = {"paragraphs": ("paragraph_id", "document_id", "text"), "documents": ("document_id", "name")}


def test_an_ambiguous_column_the_join_equates_takes_the_first_tables_qualifier():
    sql = "SELECT document_id, name FROM paragraphs JOIN documents ON paragraphs.document_id = documents.document_id"
    assert fix_ambiguous(sql, "document_id", DOCS) == (
        "SELECT paragraphs.document_id, name FROM paragraphs "
        "JOIN documents ON paragraphs.document_id = documents.document_id",
        "document_id → paragraphs.document_id (the JOIN makes the tables agree on it)",
    )


def test_every_unqualified_use_gets_the_alias():
    sql = (
        "SELECT document_id FROM paragraphs AS P JOIN documents AS D ON P.document_id = D.document_id "
        "WHERE document_id > 3"
    )
    assert fix_ambiguous(sql, "document_id", DOCS) == (
        "SELECT P.document_id FROM paragraphs AS P JOIN documents AS D ON P.document_id = D.document_id "
        "WHERE P.document_id > 3",
        "document_id → P.document_id (the JOIN makes the tables agree on it)",
    )


def test_an_ambiguous_column_the_join_does_not_equate_is_left_alone():
    # The tables may disagree on document_id: either qualifier could be meant.
    sql = "SELECT document_id FROM paragraphs JOIN documents ON paragraphs.paragraph_id = documents.document_id"
    assert fix_ambiguous(sql, "document_id", DOCS) is None


def test_no_fix_for_a_qualified_name_a_name_one_table_has_or_unparsable_sql():
    sql = "SELECT document_id FROM paragraphs JOIN documents ON paragraphs.document_id = documents.document_id"
    assert fix_ambiguous(sql, "paragraphs.document_id", DOCS) is None
    assert fix_ambiguous(sql.replace("SELECT document_id", "SELECT text"), "text", DOCS) is None
    assert fix_ambiguous("SELECT (", "document_id", DOCS) is None


RELEASES = SchemaInfo(
    tables={
        "repos": ("full_name", "name", "created_at", "pushed_at"),
        "releases": ("id", "repo", "release", "published_at", "published_day"),
        "sales": ("id", "region", "order_date", "amount"),
    }
)


def _unknown(column: str) -> Rejection:
    return Rejection(f"no such column {column}", "unknown_column", column, ())


@pytest.mark.parametrize(
    "sql, column, fixed, change",
    [
        (
            "SELECT COUNT(*) FROM releases WHERE published_year = 2024",
            "published_year",
            "SELECT COUNT(*) FROM releases WHERE CAST(STRFTIME('%Y', published_at, 'auto') AS INTEGER) = 2024",
            "published_year → CAST(strftime('%Y', published_at, 'auto') AS INTEGER)",
        ),
        (  # a qualified column keeps its qualifier; a result column keeps its name
            "SELECT r.published_month, COUNT(*) FROM releases AS r GROUP BY r.published_month",
            "r.published_month",
            "SELECT CAST(STRFTIME('%m', r.published_at, 'auto') AS INTEGER) AS published_month, COUNT(*) "
            "FROM releases AS r GROUP BY CAST(STRFTIME('%m', r.published_at, 'auto') AS INTEGER)",
            "published_month → CAST(strftime('%m', published_at, 'auto') AS INTEGER)",
        ),
        (  # no stem: the only date column of the query's tables
            "SELECT year, SUM(amount) FROM sales GROUP BY year",
            "year",
            "SELECT CAST(STRFTIME('%Y', order_date, 'auto') AS INTEGER) AS year, SUM(amount) FROM sales "
            "GROUP BY CAST(STRFTIME('%Y', order_date, 'auto') AS INTEGER)",
            "year → CAST(strftime('%Y', order_date, 'auto') AS INTEGER)",
        ),
        ("SELECT year FROM repos", "year", None, None),  # two date columns and no stem: which one is not known
        ("SELECT release_year FROM releases", "release_year", None, None),  # `release` is not a date column
        ("SELECT published_total FROM releases", "published_total", None, None),  # not a date part
        (
            "SELECT COUNT(*) FROM releases JOIN repos ON repo = full_name WHERE pushed_year = 2024",
            "pushed_year",
            "SELECT COUNT(*) FROM releases JOIN repos ON repo = full_name "
            "WHERE CAST(STRFTIME('%Y', pushed_at, 'auto') AS INTEGER) = 2024",
            "pushed_year → CAST(strftime('%Y', pushed_at, 'auto') AS INTEGER)",
        ),
    ],
)
def test_date_part_reads_the_date_column_it_names(sql, column, fixed, change):
    result = date_part(sql, _unknown(column), RELEASES)
    assert result == ((fixed, change) if fixed else None)
