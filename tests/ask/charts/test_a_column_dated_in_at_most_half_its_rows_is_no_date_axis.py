"""charts.time_kind: a column is a date axis only when more than half of its rows hold a date (of one kind) and at
least two do; a column dated in half its rows or fewer is no date axis (no line over it)."""

import pytest

from datasette_llm.ask.charts import chart_specs, time_kind

pytestmark = pytest.mark.no_datasette


def test_half_dated_is_not_a_date_column():
    assert time_kind("day", ["2024-01-01", "2024-01-02", None, None]) is None
    assert time_kind("day", ["2024-01-01", "2024-01-02", "2024-01-03", None, None, None]) is None
    assert time_kind("day", ["2024-01-01", "2024-01-02", "2024-01-03", None, None]) == "date"
    assert time_kind("year", [2020, 2021, None, None]) is None
    assert time_kind("year", [2020, 2021, 2022, None, None]) == "year_number"


def test_one_date_is_not_a_date_column():
    assert time_kind("day", ["2024-01-01"]) is None
    assert time_kind("day", ["2024-01-01", None]) is None


def test_no_line_over_a_half_dated_column():
    rows = [["2024-01-01", 1], ["2024-01-02", 2], [None, 3], [None, 4]]
    assert "line" not in chart_specs(["day", "n"], rows)


def test_dates_of_mixed_precision_are_not_a_date_column():
    assert time_kind("when", ["2024-01", "2024-01-02", "2024-02"]) is None
    assert time_kind("when", ["2024", "2024-01-02T10:00", "2025"]) is None
    assert "line" not in chart_specs(["when", "n"], [["2024-01", 1], ["2024-01-02", 2], ["2024-02", 3]])


def test_a_day_no_calendar_has_is_no_date():
    """ "2023-02-30" fits the day pattern, but the browser reads it as 2023-03-02 and drew the point there, at a
    date no row holds (an outside tester, session 54): a column holding one is no date axis."""
    rows = [["2023-02-27", 1], ["2023-02-30", 2], ["2023-03-01", 3]]
    assert "line" not in chart_specs(["day", "n"], rows)
    assert "line" in chart_specs(["day", "n"], [["2023-02-27", 1], ["2023-02-28", 2], ["2024-02-29", 3]])
    for text in ("2023-02-29", "2023-04-31", "2023-02-30T10:00", "2023-06-31 12:00:00Z"):
        assert "line" not in chart_specs(["day", "n"], [["2023-01-01", 1], [text, 2]]), text
