"""charts.spec_for: tooltips and the marks' ARIA descriptions are one text, `mark_text`, that shows each value as
the row holds it: the number as `y_text` (toString: every digit, where Vega's default format keeps 12), a scatter's
x as `x_text`, a bar's label and a year as themselves, a date as the row's text (`x_text` in the data, never
formatted in the viewer's time zone); every field the text reads is a data key or computed by a transform."""

import json

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
FIRST_FIELD = {"bar": "x", "line": "x_text", "scatter": "x_text", "years": "x"}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_tooltips(shape):
    columns, rows = SHAPES[shape]
    spec = chart_specs(columns, rows)[KIND[shape]]
    mark_text = {"field": "mark_text", "type": "nominal"}
    assert spec["encoding"]["tooltip"] == spec["encoding"]["description"] == mark_text
    computed = {step["as"]: step["calculate"] for step in spec.get("transform", [])}
    assert computed["y_text"] == "toString(datum.y)"
    label, number = (f"{json.dumps(name + ': ')} + toString(datum.{field})" for name, field in
                     zip(columns, (FIRST_FIELD[shape], "y_text")))  # fmt: skip
    said = [label, number] if shape != "bar" else [number, label]  # the x channel first: a bar's number
    assert computed["mark_text"] == " + '; ' + ".join(said)
    keys = set().union(*(set(p) for p in spec["data"]["values"]))
    assert FIRST_FIELD[shape] in keys | set(computed)
    if shape == "scatter":
        assert computed["x_text"] == "toString(datum.x)"
    if shape == "line":  # the date as the row holds it, never recomputed from the parsed date
        assert "x_text" not in computed and all(p["x_text"] == p["x"] for p in spec["data"]["values"])
