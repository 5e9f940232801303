"""Row counts the pipeline states (`counts`) count as shown, written plainly or with a scale ("7 of the 1234 rows",
"1.5k rows"). Mutants: the counts dropped from the shown forms, or from the values amounts with a scale are rounded
against; either flagged a true count."""

import pytest

from datasette_llm.ask.numbers import unverified_numbers

pytestmark = pytest.mark.no_datasette


def test_a_row_count_written_plainly_passes():
    assert unverified_numbers("The model read 7 of the 1234 rows.", "v\n1", "How many?", (7, 1234)) == []
    assert unverified_numbers("The model read 8 of the 1234 rows.", "v\n1", "How many?", (7, 1234)) == ["8"]


def test_a_row_count_written_with_a_scale_passes():
    assert unverified_numbers("It returned 1.5k rows.", "v\n1", "How many?", (1500, 1500)) == []
    assert unverified_numbers("It returned 2.5k rows.", "v\n1", "How many?", (1500, 1500)) == ["2.5k"]
