"""Whose number it is, for amounts written with a scale: "$44.50M" beside a name whose row holds another amount is
another row's number, as "$44,499,099" is (read as plain numbers only, the scaled forms passed; an outside tester,
session 54). The rows holding an amount are those whose numbers round to it at the precision written."""

import pytest

from datasette_llm.ask.attribution import numbers_of_other_rows

pytestmark = pytest.mark.no_datasette

ROWS = "name | amount\nEmber Blender | 44499099\nDelta Clock | 58558637"
QUESTION = "How much did each sell?"


@pytest.mark.parametrize(
    "amount", ["$44,499,099", "$44.50M", "44.5 million", "44,499.1k", "$44M", "44 million", "forty-four million"]
)
def test_another_rows_amount_is_warned_however_it_is_written(amount):
    assert numbers_of_other_rows(f"Delta Clock sold {amount} last year.", ROWS, QUESTION) == [
        (amount.lstrip("$"), ["Delta Clock"])
    ]


@pytest.mark.parametrize("amount", ["$58.56M", "58.6 million", "$59M", "58,558.6k", "fifty-nine million"])
def test_the_rows_own_amount_with_a_scale_is_not_warned(amount):
    assert numbers_of_other_rows(f"Delta Clock sold {amount} last year.", ROWS, QUESTION) == []


def test_a_scaled_amount_no_row_rounds_to_is_left_to_the_shown_numbers_check():
    assert numbers_of_other_rows("Delta Clock sold $12M last year.", ROWS, QUESTION) == []


def test_a_scaled_amount_the_question_states_is_not_warned():
    question = "Did Delta Clock sell more than 44.5 million?"
    assert numbers_of_other_rows("Delta Clock sold more than 44.5 million.", ROWS, question) == []


def test_respectively_pairs_scaled_amounts_in_order():
    answer = "Ember Blender and Delta Clock sold $58.6M and $44.5M respectively."
    assert numbers_of_other_rows(answer, ROWS, QUESTION) == [("58.6M", ["Ember Blender"]), ("44.5M", ["Delta Clock"])]
    right = "Ember Blender and Delta Clock sold $44.5M and $58.6M respectively."
    assert numbers_of_other_rows(right, ROWS, QUESTION) == []
