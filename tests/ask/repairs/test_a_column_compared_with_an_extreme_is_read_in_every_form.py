"""A column compared with the extreme of another column (logic_checks/one_row.py extreme_of_another_column) is read
with any comparison (=, != as well as <, >), with the extreme under an alias, and with MIN as with MAX (the row
to read is then the smallest, sorted ASC); a subquery without FROM is left alone. No test had these: versions
that skipped = and !=, missed an alias, always wrote DESC, or read a subquery without FROM survived (outside
tester, session 56, mutants O14, O13, O10, O09).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

CARS = {"cars_data": ("Id", "Accelerate", "Horsepower")}


def doubts(where):
    return logic_doubts(f"SELECT COUNT(*) FROM cars_data WHERE {where}", "?", CARS, ())


@pytest.mark.parametrize("operator", ["=", "!=", "<", ">="])
def test_any_comparison_with_another_columns_extreme_is_doubted(operator):
    (found,) = doubts(f"Accelerate {operator} (SELECT MAX(Horsepower) FROM cars_data)")
    assert "compares Accelerate with a value of Horsepower" in found


def test_an_aliased_extreme_is_doubted():
    (found,) = doubts("Accelerate > (SELECT MAX(Horsepower) AS top FROM cars_data)")
    assert "compares Accelerate with a value of Horsepower" in found


def test_a_minimum_points_at_the_row_with_the_smallest_value():
    assert doubts("Accelerate < (SELECT MIN(Horsepower) FROM cars_data)") == [
        "Accelerate < (SELECT MIN(Horsepower) FROM cars_data) compares Accelerate with a value of Horsepower; to "
        "compare with the Accelerate of the row with the smallest Horsepower, use (SELECT Accelerate FROM "
        "cars_data ORDER BY Horsepower ASC LIMIT 1)"
    ]


def test_a_subquery_without_from_is_left_alone():
    assert doubts("Accelerate > (SELECT MAX(Horsepower))") == []
