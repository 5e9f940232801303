"""Row counts the pipeline states are not attributed to a row ("Rock is one of the 2 genres" where Jazz's value is
2): attribution.py exempts `counts`. Mutant: counts not exempt, which warned that Jazz's 2 stood beside Rock."""

import pytest

from datasette_llm.ask.attribution import numbers_of_other_rows

pytestmark = pytest.mark.no_datasette


def test_a_row_count_equal_to_another_rows_value_is_not_attributed():
    rows = "name | n\nRock | 3\nJazz | 2"
    assert numbers_of_other_rows("Rock is one of the 2 genres.", rows, "Which genres?", (2, 2)) == []
    assert numbers_of_other_rows("Rock is one of the 2 genres.", rows, "Which genres?", (5, 5)) == [("2", ["Rock"])]
