"""Value hints: what counts as an empty result, literal replacement, the safe substitution, the probe budget."""

import pytest

from datasette_llm.ask.repairs.value_hints import ValueHint, literal_comparisons, looks_empty, replace_literal
from datasette_llm.sql.execute import QueryResult


def result(*rows):
    return QueryResult("select 1", ("x",), tuple(rows), False, 0.0)


def test_empty_means_no_rows_or_one_row_of_zeros_and_nulls():
    assert looks_empty(result())
    assert looks_empty(result((0,))) and looks_empty(result((None, 0)))
    assert not looks_empty(result((1,))) and not looks_empty(result((0,), (0,))) and not looks_empty(result(("",)))


def test_replace_literal_touches_only_that_column_and_literal():
    sql = (
        "SELECT a FROM t WHERE state = 'North Carolina' AND city = 'North Carolina' OR state IN ('x', 'North Carolina')"
    )
    assert replace_literal(sql, "STATE", "North Carolina", "NorthCarolina") == (
        "SELECT a FROM t WHERE state = 'NorthCarolina' AND city = 'North Carolina' OR state IN ('x', 'NorthCarolina')"
    )
    assert replace_literal(sql, "state", "nowhere", "x") is None
    assert replace_literal("select (", "a", "b", "c") is None
    assert (
        replace_literal("SELECT 1 FROM t WHERE name = 'O''Hara'", "name", "O'Hara", "o'hara")
        == "SELECT 1 FROM t WHERE name = 'o''hara'"
    )


def test_only_a_single_same_but_for_spelling_value_is_substituted():
    assert ValueHint("North Carolina", "a", "s", ("NorthCarolina", "South Carolina")).replacement == "NorthCarolina"
    assert ValueHint("usa", "a", "s", ("USA", "U.S.A.")).replacement is None  # two fit: the model chooses
    assert ValueHint("amc", "a", "s", ("amc hornet",)).replacement is None
    assert ValueHint("%rex%", "a", "s", ("REX",)).replacement is None  # LIKE patterns are left to the model


def test_messages_name_values_or_the_columns_and_route():
    assert (
        ValueHint("re", "dogs", "name", ("Rex", "Reg")).message()
        == "'re' is not a value of dogs.name; values that exist: 'Rex', 'Reg'"
    )
    assert ValueHint(
        "usa", "car_names", "Make", (), ("countries.CountryName",), ("car_names.Model = model_list.Model",)
    ).message() == (
        "'usa' is not a value of car_names.Make, but it is a value of countries.CountryName "
        "(join through car_names.Model = model_list.Model)"
    )


def test_literal_comparisons_finds_equals_in_and_like():
    assert sorted(literal_comparisons("select * from t where a = 'x' and b like '%y%' and c in ('z', 3)")) == [
        ("a", "x"),
        ("b", "%y%"),
        ("c", "z"),
    ]


@pytest.mark.asyncio
async def test_probes_share_one_time_budget_and_stop_quietly_when_it_is_spent(tmp_path, monkeypatch):
    import sqlite_utils
    from datasette.app import Datasette

    from datasette_llm.ask.repairs import value_hints as module

    path = tmp_path / "pets.db"
    sqlite_utils.Database(path)["dogs"].insert({"id": 1, "name": "Rex"})
    db = Datasette([str(path)]).get_database("pets")
    sql = "select * from dogs where name = 'rex'"
    tables = {"dogs": ("id", "name")}
    hints = await module.value_hints(db, sql, tables, allowed={"dogs"}, time_limit_ms=1000)
    assert hints[0].replacement == "Rex"
    monkeypatch.setattr(module, "PROBE_BUDGET_MIN_MS", 0)
    assert await module.value_hints(db, sql, tables, allowed={"dogs"}, time_limit_ms=0) == []


@pytest.mark.asyncio
async def test_a_value_stored_in_another_column_with_other_spacing_is_found_there(tmp_path):
    import sqlite_utils
    from datasette.app import Datasette

    from datasette_llm.ask.repairs.value_hints import value_hints

    path = tmp_path / "people.db"
    sqlite_utils.Database(path)["addresses"].insert_all(
        [{"id": 1, "country": "USA", "state": "NorthCarolina"}, {"id": 2, "country": "USA", "state": "Texas"}]
    )
    db = Datasette([str(path)]).get_database("people")
    tables = {"addresses": ("id", "country", "state")}
    hints = await value_hints(
        db,
        "select id from addresses where country = 'North Carolina'",
        tables,
        allowed={"addresses"},
        time_limit_ms=1000,
    )
    assert [h.message() for h in hints] == [
        "'North Carolina' is not a value of addresses.country, but it is a value of addresses.state"
    ]
    assert (
        await value_hints(
            db, "select id from addresses where country = 'Carolina'", tables, allowed={"addresses"}, time_limit_ms=1000
        )
        == []
    )  # a part of a value is not it
