"""charts.spec_for: only a spec with a tooltip gets the marks' description transform; the number chart (a text mark
with no tooltip) has no transform and no description channel, and no spec holds an empty expression."""

import pytest

from datasette_llm.ask.charts import chart_spec, chart_specs

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("value", [7, 2.5, -0.0, 2**53])
def test_number_chart_has_no_transform(value):
    spec = chart_spec(["count(*)"], [[value]])
    assert spec["usermeta"]["datasette_llm"]["kind"] == "number"
    assert "transform" not in spec
    assert set(spec["encoding"]) == {"text"}


def test_every_calculate_is_an_expression():
    shapes = [
        (["name", "n"], [["a", 1], ["b", 2]]),
        (["year", "n"], [["2020", 1], ["2021", 2]]),
        (["a", "b"], [[1, 2], [3, 4]]),
        (["release_year", "n"], [[2020, 1], [2021, 2]]),
    ]
    for columns, rows in shapes:
        for spec in chart_specs(columns, rows).values():
            for step in spec.get("transform", []):
                assert step["calculate"].strip(), step
