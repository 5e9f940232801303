"""charts.bar_spec: exactly TOP_BARS (20) bars are all drawn with no "top 20 of" note; 21 say one was left out, and
bars over dates keep date order."""

import pytest

from datasette_llm.ask.charts import TOP_BARS, chart_spec, chart_specs

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize("count", [TOP_BARS - 1, TOP_BARS, TOP_BARS + 1])
def test_top_bars_note(count):
    spec = chart_spec(["repo", "stars"], [[f"r{i}", i] for i in range(count)])
    notes = spec["usermeta"]["datasette_llm"]["notes"]
    assert len(spec["data"]["values"]) == min(count, TOP_BARS)
    expected = [f"top {TOP_BARS} of {count:,} by stars; others not drawn"] if count > TOP_BARS else []
    assert notes == expected


@pytest.mark.parametrize("count", [TOP_BARS, TOP_BARS + 1])
def test_date_bars_note(count):
    rows = [[f"{2000 + i}", i] for i in range(count)][::-1]
    bar = chart_specs(["year", "n"], rows)["bar"]
    assert [p["x"] for p in bar["data"]["values"]] == [f"{2000 + i}" for i in range(min(count, TOP_BARS))]
    expected = [f"the first {TOP_BARS} of {count:,} by year; others not drawn"] if count > TOP_BARS else []
    assert bar["usermeta"]["datasette_llm"]["notes"] == expected
