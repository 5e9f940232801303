"""charts.py: an integer JavaScript cannot hold exactly (|n| > 2**53) is never drawn, in any kind of chart; 2**53
itself is exact in a double and is drawn."""

import json

import pytest

from datasette_llm.ask.charts import chart_spec, chart_specs

pytestmark = pytest.mark.no_datasette

UNSAFE = [2**53 + 1, -(2**53 + 1), 2**53 + 3, 2**54 - 1, 2**54 + 1]


def read_by_javascript(value):
    return float(json.dumps(value))  # JSON.parse reads a number as the nearest double, as float() does


@pytest.mark.parametrize("value", UNSAFE)
def test_unsafe_integers_are_not_drawn(value):
    assert read_by_javascript(value) != value  # the page would draw another number
    assert chart_spec(["n"], [[value]]) is None
    bar = chart_specs(["name", "n"], [["a", 1], ["b", value], ["c", 3]])["bar"]
    assert {p["x"] for p in bar["data"]["values"]} == {"a", "c"}
    scatter = chart_specs(["a", "b"], [[1, 2], [value, 5], [3, 4]])["scatter"]
    assert value not in {p["x"] for p in scatter["data"]["values"]}
    line = chart_specs(["year", "n"], [["2020", 1], ["2021", value], ["2022", 3]])["line"]
    assert [p["y"] for p in line["data"]["values"]] == [1, 3]


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**53 - 1])
def test_integers_a_double_holds_are_drawn(value):
    assert read_by_javascript(value) == value
    assert chart_spec(["n"], [[value]])["data"]["values"] == [{"value": json.dumps(value)}]
