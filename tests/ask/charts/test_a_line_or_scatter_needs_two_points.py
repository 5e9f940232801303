"""charts.py: a line and a scatter need two points that can be drawn, as a bar chart needs two bars; one row with
both values is no chart, two are."""

import pytest

from datasette_llm.ask.charts import chart_specs

pytestmark = pytest.mark.no_datasette


def test_no_line_of_one_point():
    rows = [["2020", 1], ["2021", None], [None, 3]]  # a date column and a number column, one row with both
    assert "line" not in chart_specs(["year", "n"], rows)


def test_no_scatter_of_one_point():
    rows = [[1, 2], [None, 3], [4, None]]
    assert "scatter" not in chart_specs(["a", "b"], rows)


def test_two_points_make_a_line_and_a_scatter():
    line = chart_specs(["year", "n"], [["2021", 1], ["2020", 2]])["line"]
    assert [p["x"] for p in line["data"]["values"]] == ["2020", "2021"]
    scatter = chart_specs(["a", "b"], [[1, 2], [3, 4]])["scatter"]
    assert scatter["data"]["values"] == [{"x": 1, "y": 2}, {"x": 3, "y": 4}]
