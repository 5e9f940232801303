"""charts.time_kind: integers are years (an axis, not numbers) from 1900 to 2100 inclusive, as docs/http-api.md says,
in a column named like "year"; 1899 or 2101 make the column numbers."""

import pytest

from datasette_llm.ask.charts import time_kind

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("values", [[1900, 1901, 1950], [2099, 2100, 2000], [1900, 2100]])
def test_inside(values):
    assert time_kind("year", values) == "year_number"


@pytest.mark.parametrize("values", [[1899, 1900, 1950], [2100, 2101, 2000], [1899, 2101]])
def test_outside(values):
    assert time_kind("year", values) is None
