"""charts.spec_for: each mark's ARIA description (`mark_text`) says its x channel's value, then its y channel's, as
the tooltip shows them: a date as the row holds it (`x_text`), numbers in full (`x_text` / `y_text`), a bar's label
and a year as they are."""

import pytest

from datasette_llm.ask.charts import chart_specs

pytestmark = pytest.mark.no_datasette

CASES = [
    (
        ["day", "n"],
        [["2020-01-02", 1], ["2021-03-04", 2]],
        "line",
        '"day: " + toString(datum.x_text) + \'; \' + "n: " + toString(datum.y_text)',
    ),
    (
        ["name", "n"],
        [["a", 1], ["b", 2]],
        "bar",
        '"n: " + toString(datum.y_text) + \'; \' + "name: " + toString(datum.x)',
    ),
    (
        ["a", "b"],
        [[1, 2], [3, 4]],
        "scatter",
        '"a: " + toString(datum.x_text) + \'; \' + "b: " + toString(datum.y_text)',
    ),
    (
        ["release_year", "n"],
        [[2020, 1], [2021, 2]],
        "line",
        '"release_year: " + toString(datum.x) + \'; \' + "n: " + toString(datum.y_text)',
    ),
]


@pytest.mark.parametrize("columns, rows, kind, expected", CASES)
def test_mark_text(columns, rows, kind, expected):
    spec = chart_specs(columns, rows)[kind]
    said = [step["calculate"] for step in spec["transform"] if step["as"] == "mark_text"]
    assert said == [expected]
