"""charts.py MAX_POINTS: a line or scatter draws the first 1,000 points and says how many were left out; 1,000
points are all drawn with no such note."""

import pytest

from datasette_llm.ask.charts import chart_specs

pytestmark = pytest.mark.no_datasette


def notes(spec):
    return spec["usermeta"]["datasette_llm"]["notes"]


@pytest.mark.parametrize("count", [999, 1000, 1001, 1500])
def test_scatter_points(count):
    rows = [[i, i * 2] for i in range(count)]
    spec = chart_specs(["a", "b"], rows)["scatter"]
    drawn = spec["data"]["values"]
    assert len(drawn) == min(count, 1000)
    assert drawn == [{"x": i, "y": i * 2} for i in range(min(count, 1000))]
    said = [n for n in notes(spec) if "others not drawn" in n]
    if count > 1000:
        assert said == [f"the first 1,000 of {count:,} points; others not drawn"]
    else:
        assert said == []


@pytest.mark.parametrize("count", [1000, 1001])
def test_line_points_by_date(count):
    rows = [[f"{2000 + i // 336:04d}-{(i // 28) % 12 + 1:02d}-{i % 28 + 1:02d}", i] for i in range(count)]
    spec = chart_specs(["day", "n"], rows[::-1])["line"]
    drawn = spec["data"]["values"]
    assert [p["x"] for p in drawn] == [r[0] for r in rows[: min(count, 1000)]]
    said = [n for n in notes(spec) if "others not drawn" in n]
    assert said == ([f"the first 1,000 of {count:,} points by day; others not drawn"] if count > 1000 else [])
