"""charts.chart_specs: rows that are not lists or tuples (objects, text) make no chart and raise nothing; nor do
empty columns or rows."""

import pytest

from datasette_llm.ask.charts import chart_spec, chart_specs

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize(
    "columns, rows",
    [
        (["a", "b"], [{"a": "x", "b": 1}, {"a": "y", "b": 2}]),
        (["a", "b"], [["x", 1], {"a": "y", "b": 2}, ["z", 3]]),
        (["a", "b"], ["x1", "y2", "z3"]),
        (["a", "b"], [["x", 1], "y2", ["z", 3]]),
        ([], [["x", 1], ["y", 2]]),
    ],
)
def test_no_chart(columns, rows):
    assert chart_specs(columns, rows) == {}
    assert chart_spec(columns, rows) is None
