"""charts.is_number: floats beyond +-1e300 are not drawn (a scale over +-1.7e308 spans more than a double holds:
Vega draws the bars at NaN), nor are NaN and infinities; 1e300 itself is drawn."""

import pytest

from datasette_llm.ask.charts import chart_spec, chart_specs, is_number

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("value", [1.0000000000000002e300, 1e301, 1.7976931348623157e308, -1e308, -1e301])
def test_past_the_cap(value):
    assert not is_number(value)
    assert chart_spec(["n"], [[value]]) is None
    bar = chart_specs(["name", "n"], [["a", 1], ["b", value], ["c", 3]])["bar"]
    assert [p["x"] for p in bar["data"]["values"]] == ["c", "a"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_not_finite(value):
    assert not is_number(value)


@pytest.mark.parametrize("value", [1e300, -1e300, 1e-300, 5e-324])
def test_within_the_cap(value):
    assert is_number(value)
