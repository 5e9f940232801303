"""The whose-number check reads names whatever runs of spaces part their words, in the answer ("Delta  Clock") and
in the rows ("Delta  Clock" as a cell): 44,499,099 is Ember Blender's, not Delta Clock's. Mutants: the answer's
spaces not collapsed, and the cells' spaces not normalised; either way the name was not read and no warning came."""

import pytest

from datasette_llm.ask.attribution import numbers_of_other_rows

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize(
    ("answer_name", "row_name"),
    [("Delta Clock", "Delta Clock"), ("Delta  Clock", "Delta Clock"), ("Delta Clock", "Delta  Clock")],
)
def test_another_rows_number_beside_a_name_spaced_differently_is_warned(answer_name, row_name):
    rows = f"name | amount\nEmber Blender | 44499099\n{row_name} | 58558637"
    found = numbers_of_other_rows(f"{answer_name} sold $44,499,099.", rows, "How much did each sell?")
    assert found == [("44,499,099", [row_name])]
