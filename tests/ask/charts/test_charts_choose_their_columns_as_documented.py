"""charts.chart_specs chooses columns as docs/http-api.md says: a date axis has no repeated date (bars over repeated
dates would stack into sums), a column of years is the axis and never the number drawn, and a number column is one
that holds mostly numbers (more than half of its rows)."""

import pytest

from datasette_llm.ask.charts import chart_specs

pytestmark = pytest.mark.no_datasette


def test_repeated_dates_are_no_axis():
    rows = [["2024-01-01", 1], ["2024-01-01", 2], ["2024-01-02", 3]]
    assert chart_specs(["day", "n"], rows) == {}


def test_years_are_the_axis_not_the_number():
    rows = [[2020, 5], [2018, 2], [2019, 9]]
    line = chart_specs(["release_year", "count"], rows)["line"]
    assert line["data"]["values"] == [{"x": 2018, "y": 2}, {"x": 2019, "y": 9}, {"x": 2020, "y": 5}]
    assert line["encoding"]["y"]["title"] == "count"


@pytest.mark.parametrize(
    "values",
    [[1, 2, "x", "y"], [1, 2, None, None, None], [1.5, 2.5, "n/a", {"$base64": True, "encoded": "AA=="}]],
)
def test_half_numbers_is_no_number_column(values):
    rows = [[f"label {i}", v] for i, v in enumerate(values)]
    assert chart_specs(["name", "n"], rows) == {}
