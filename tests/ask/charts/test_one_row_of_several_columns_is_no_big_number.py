"""charts.chart_specs: the big number is for one row of one column; one row of several numbers (count(*), sum(x))
is no chart; a date column with no number column is none either (and raises nothing)."""

import pytest

from datasette_llm.ask.charts import chart_spec, chart_specs

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("row", [[3, 7], [3, "x"], [3, 7, 9], [2.5, None]])
def test_one_row_several_columns(row):
    assert chart_specs([f"c{i}" for i in range(len(row))], [row]) == {}


@pytest.mark.parametrize(
    "rows",
    [
        [["2024-01-01", "a"], ["2024-01-02", "b"]],
        [["2020", None], ["2021", None], ["2022", None]],
        [["2024-01", {"$base64": True, "encoded": "AAE="}], ["2024-02", {"$base64": True, "encoded": "AAI="}]],
    ],
)
def test_dates_without_numbers(rows):
    assert chart_specs(["when", "what"], rows) == {}
    assert chart_spec(["when", "what"], rows) is None
