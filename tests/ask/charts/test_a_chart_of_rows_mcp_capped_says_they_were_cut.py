"""charts.chart_for_result: MCP's `ask` caps the rows it returns (rows_truncated) while the query itself did not hit
Ask's row cap (row_cap_hit false): the chart draws the capped rows and says they were truncated."""

import pytest

from datasette_llm.ask.charts import chart_for_result

pytestmark = pytest.mark.no_datasette


def result(**overrides):
    data = {
        "ok": True,
        "sql": "select name, n from t",
        "columns": ["name", "n"],
        "rows": [["a", 1], ["b", 2]],
        "truncated": False,
        "row_cap_hit": False,
    }
    return {**data, **overrides}


def test_mcp_capped_rows_say_so():
    chart = chart_for_result(result(rows_truncated=True))
    assert (
        "the rows were truncated: the chart draws 2 of the 2 rows returned"
        in chart["usermeta"]["datasette_llm"]["notes"]
    )


def test_neither_cap_says_nothing():
    assert "truncated" not in chart_for_result(result(rows_truncated=False))["description"]
    assert "truncated" not in chart_for_result(result(truncated=True))["description"]  # cut only for the model
