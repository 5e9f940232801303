"""charts.with_tooltip / spec_for: tooltips and the marks' ARIA descriptions show each value as the row holds it: the
number as `y_text` (toString: every digit, where Vega's default format keeps 12), a scatter's x as `x_text`, a bar's
label as itself, a year's as format "d", a date through its UTC time unit; every field a tooltip names is a data
key or computed by a transform, and each mark is described by `mark_text`."""

import pytest

from datasette_llm.ask.charts import chart_specs

pytestmark = pytest.mark.no_datasette

SHAPES = {
    "bar": (["name", "n"], [["a", 1234567890123], ["b", 2]]),
    "line": (["day", "n"], [["2020-01-02", 1234567890123], ["2021-03-04", 2]]),
    "scatter": (["a", "b"], [[1.5, 1234567890123], [3, 4]]),
    "years": (["release_year", "n"], [[2020, 1234567890123], [2021, 2]]),
}
KIND = {"bar": "bar", "line": "line", "scatter": "scatter", "years": "line"}
FIRST_TIP = {
    "bar": {"field": "x", "type": "nominal", "title": "name"},
    "line": {"field": "x", "type": "temporal", "title": "day", "timeUnit": "utcyearmonthdate"},
    "scatter": {"field": "x_text", "type": "nominal", "title": "a"},
    "years": {"field": "x", "type": "quantitative", "title": "release_year", "format": "d"},
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_tooltips(shape):
    columns, rows = SHAPES[shape]
    spec = chart_specs(columns, rows)[KIND[shape]]
    tips = spec["encoding"]["tooltip"]
    assert tips[0] == FIRST_TIP[shape]
    assert tips[1] == {"field": "y_text", "type": "nominal", "title": columns[1]}
    computed = {step["as"]: step["calculate"] for step in spec.get("transform", [])}
    assert computed["y_text"] == "toString(datum.y)"
    keys = set().union(*(set(p) for p in spec["data"]["values"]))
    for tip in tips:
        assert tip["field"] in keys or tip["field"] in computed, tip
    if shape == "scatter":
        assert computed["x_text"] == "toString(datum.x)"
    if shape == "line":  # the date as the row holds it, never recomputed from the parsed date
        assert "x_text" not in computed and all(p["x_text"] == p["x"] for p in spec["data"]["values"])
    assert spec["encoding"]["description"] == {"field": "mark_text", "type": "nominal"}
    assert "mark_text" in computed
