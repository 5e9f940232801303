"""charts.is_label: a bar's label is text or a number (as the docstring says): a number among a text column's
labels is drawn, a null or a blob is not."""

import pytest

from datasette_llm.ask.charts import chart_spec

pytestmark = pytest.mark.no_datasette


def test_a_numeric_label_is_drawn():
    rows = [["alpha", 5], [1999, 4], ["gamma", 3], [2.5, 2], [None, 9]]
    spec = chart_spec(["name", "n"], rows)
    assert [p["x"] for p in spec["data"]["values"]] == ["alpha", 1999, "gamma", 2.5]
    assert spec["usermeta"]["datasette_llm"]["notes"] == ["1 of 5 rows not drawn: no value in name"]
