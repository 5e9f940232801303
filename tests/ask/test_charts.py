"""charts.py: which chart suits an Ask result, and that its Vega-Lite spec draws only values from the rows."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.ask.charts import SCHEMA, TOP_BARS, chart_for_result, chart_spec, chart_specs

pytestmark = pytest.mark.no_datasette


def drawn(spec) -> list[dict]:
    return spec["data"]["values"]


def meta(spec) -> dict:
    return spec["usermeta"]["datasette_llm"]


def all_text(spec) -> str:
    return json.dumps({k: spec[k] for k in ("title", "description")})


def assert_only_row_values(spec, rows, x_index, y_index):
    """Every drawn point is one of the rows, unchanged."""
    pairs = [(row[x_index], row[y_index]) for row in rows]
    for point in drawn(spec):
        assert (point["x"], point["y"]) in pairs


# -- each kind -------------------------------------------------------------------------------------------


def test_category_and_number_is_a_bar_chart_sorted_by_value():
    rows = [["llm", 20], ["datasette", 30], ["paper", 5], ["sqlite-utils", 30]]
    spec = chart_spec(["name", "stars"], rows)
    assert spec["$schema"] == SCHEMA and spec["mark"]["type"] == "bar"
    assert meta(spec)["kind"] == "bar" and meta(spec)["alternatives"] == {}
    # Largest first; ties keep the query's order.
    assert drawn(spec) == [
        {"x": "datasette", "y": 30},
        {"x": "sqlite-utils", "y": 30},
        {"x": "llm", "y": 20},
        {"x": "paper", "y": 5},
    ]
    encoding = spec["encoding"]
    assert encoding["y"] == {"field": "x", "type": "nominal", "title": "name", "sort": "-x"}
    # Not stacked: one bar a label (Vega's stack groups by label in a plain object: see test_browser_charts).
    assert encoding["x"] == {"field": "y", "type": "quantitative", "title": "stars", "stack": None}
    assert spec["title"] == "stars by name" and meta(spec)["notes"] == []
    assert json.loads(json.dumps(spec)) == spec  # plain JSON


def test_bar_chart_keeps_the_top_twenty_and_says_so():
    rows = [[f"repo {i}", i] for i in range(57)]
    spec = chart_spec(["repo", "releases"], rows)
    assert [p["y"] for p in drawn(spec)] == list(range(56, 56 - TOP_BARS, -1))
    assert f"top {TOP_BARS} of 57 by releases; others not drawn" in meta(spec)["notes"]
    assert "top 20 of 57" in spec["description"] and "top 20 of 57" in all_text(spec)
    assert spec["title"]["subtitle"] == meta(spec)["notes"]
    assert_only_row_values(spec, rows, 0, 1)


def test_year_strings_and_a_number_make_a_line_sorted_by_year_with_a_bar_alternative():
    rows = [["2021", 7], ["2019", 3], ["2020", 5]]
    spec = chart_spec(["year", "releases"], rows)
    assert meta(spec)["kind"] == "line" and spec["mark"]["type"] == "line"
    # Over dates, each point also holds its date as the row holds it, for the marks' descriptions.
    assert drawn(spec) == [{"x": d, "y": n, "x_text": d} for d, n in (("2019", 3), ("2020", 5), ("2021", 7))]
    assert "datum.x_text" in spec["transform"][-1]["calculate"]
    x = spec["encoding"]["x"]
    assert x["type"] == "temporal" and x["timeUnit"] == "utcyear" and x["title"] == "year"
    assert spec["encoding"]["y"]["title"] == "releases"
    bar = meta(spec)["alternatives"]["bar"]
    assert bar["mark"]["type"] == "bar" and [p["x"] for p in drawn(bar)] == ["2019", "2020", "2021"]
    assert bar["encoding"]["y"]["sort"] is None  # dates stay in date order


@pytest.mark.parametrize(
    "values, unit",
    [
        (["2024-01", "2024-02", "2023-12"], "utcyearmonth"),
        (["2024-01-02", "2024-01-01", "2023-12-31"], "utcyearmonthdate"),
        (["2024-01-02T10:00:00", "2024-01-01 09:30", "2023-12-31T23:59:59Z"], None),
    ],
)
def test_iso_dates_make_a_line(values, unit):
    rows = [[v, i] for i, v in enumerate(values)]
    spec = chart_spec(["published", "n"], rows)
    assert meta(spec)["kind"] == "line"
    assert spec["encoding"]["x"].get("timeUnit") == unit
    assert [p["x"] for p in drawn(spec)] == sorted(values)
    assert_only_row_values(spec, rows, 0, 1)


def test_integer_years_need_a_year_column_name():
    rows = [[2020, 5], [2018, 2], [2019, 9]]
    spec = chart_spec(["release_year", "count"], rows)
    assert meta(spec)["kind"] == "line"
    assert spec["encoding"]["x"]["type"] == "quantitative" and spec["encoding"]["x"]["axis"]["format"] == "d"
    assert [p["x"] for p in drawn(spec)] == [2018, 2019, 2020]
    # The same numbers under another name are just two numbers.
    assert meta(chart_spec(["code", "count"], rows))["kind"] == "scatter"
    # Out of range: not years.
    assert meta(chart_spec(["year", "count"], [[1, 5], [2, 6]]))["kind"] == "scatter"


def test_two_numbers_make_a_scatter():
    rows = [[1.5, 10], [2.5, 30], [0.5, 20]]
    spec = chart_spec(["price", "sold"], rows)
    assert meta(spec)["kind"] == "scatter" and spec["mark"]["type"] == "point"
    assert drawn(spec) == [{"x": 1.5, "y": 10}, {"x": 2.5, "y": 30}, {"x": 0.5, "y": 20}]
    assert spec["encoding"]["x"]["title"] == "price" and spec["encoding"]["y"]["title"] == "sold"


def test_category_and_two_numbers_offer_bar_then_scatter():
    rows = [["a", 1, 10], ["b", 2, 5], ["c", 3, 7]]
    specs = chart_specs(["name", "stars", "forks"], rows)
    assert list(specs) == ["bar", "scatter"]
    spec = chart_spec(["name", "stars", "forks"], rows)
    assert meta(spec)["kind"] == "bar" and list(meta(spec)["alternatives"]) == ["scatter"]
    assert spec["encoding"]["x"]["title"] == "stars"  # the first number column


def test_one_value_is_a_big_number():
    spec = chart_spec(["count(*)"], [[1234]])
    assert meta(spec)["kind"] == "number" and spec["mark"]["type"] == "text"
    assert drawn(spec) == [{"value": "1234"}] and spec["title"] == "count(*)"
    assert chart_spec(["avg"], [[2.5]])["data"]["values"] == [{"value": "2.5"}]
    truncated = chart_spec(["n"], [[3]], truncated=True)
    assert "truncated" in truncated["description"]


@pytest.mark.parametrize("value", [7.138982537461207e17, -0.0, 3.0, 2**40 + 1, 1e-7, 0.1 + 0.2])
def test_a_big_number_is_drawn_as_the_table_shows_it(value):
    """The table shows a number as JSON spells it; the chart drew it with JavaScript's String(): 713898253746120700
    for the REAL 7.138982537461207e+17, 0 for -0.0, 3 for 3.0 (an outside tester, session 40)."""
    assert chart_spec(["v"], [[value]])["data"]["values"] == [{"value": json.dumps(value)}]


# -- no chart --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "columns, rows",
    [
        ([], []),
        (["name"], []),
        (["name", "n"], []),
        (["name"], [["a"], ["b"]]),  # one text column
        (["n"], [[1], [2], [3]]),  # one number column, several rows
        (["name"], [["only"]]),  # one text value
        (["n"], [[None]]),
        (["n"], [[True]]),  # a bool is not a number
        (["n"], [[float("nan")]]),
        (["n"], [[float("inf")]]),
        (["n"], [[2**63 - 1]]),  # would lose digits in JavaScript
        (["blob"], [[{"$base64": True, "encoded": "AAE="}]]),
        (["name", "body"], [["a", "x"], ["b", "y"]]),  # no number
        (["name", "n"], [["a", 1]]),  # a single bar is no chart
        (["name", "n"], [["a", 1], ["a", 2]]),  # repeated labels: bars would stack into sums
        (["name", "n"], [["a", "1"], ["b", "2"], ["c", 3]]),  # mostly not numbers ("1" is text)
        (["name", "n"], [["a", None], ["b", None], ["c", 3]]),
        (
            ["a", "b", "c"],
            [[{"$base64": True, "encoded": ""}, "x", None], [{"$base64": True, "encoded": ""}, "y", None]],
        ),
    ],
)
def test_no_chart(columns, rows):
    assert chart_spec(columns, rows) is None
    assert chart_specs(columns, rows) == {}


def test_odd_shapes_do_not_raise():
    assert chart_spec(None, None) is None
    assert chart_spec(["a", "b"], [["x"], ["y", 1, 2]]) is None  # short and long rows
    assert chart_spec(["a", "b"], ["not a row", "nor this"]) is None
    spec = chart_spec(["a", "b"], [["x", 1], ["y"], ["z", 3]])  # a short row reads as null
    assert [p["x"] for p in drawn(spec)] == ["z", "x"]


# -- values that are not numbers -----------------------------------------------------------------------


def test_rows_without_a_number_are_skipped_and_counted():
    rows = [["a", 3], ["b", None], ["c", "n/a"], ["d", 5], ["e", float("nan")], ["f", 1], ["g", 2]]
    spec = chart_spec(["name", "n"], rows)
    assert [p["x"] for p in drawn(spec)] == ["d", "a", "g", "f"]
    assert "3 of 7 rows not drawn: no number in n" in meta(spec)["notes"]
    assert all(isinstance(p["y"], int) for p in drawn(spec))
    json.dumps(spec, allow_nan=False)  # no NaN reaches the page


def test_null_and_blob_labels_are_not_drawn():
    blob = {"$base64": True, "encoded": "AAE="}
    rows = [["a", 3], [None, 4], [blob, 9], ["b", 1]]
    spec = chart_spec(["name", "n"], rows)
    assert [p["x"] for p in drawn(spec)] == ["a", "b"]
    assert meta(spec)["notes"] == ["2 of 4 rows not drawn: no value in name"]


def test_huge_and_tiny_numbers():
    rows = [["a", 2**53], ["b", 1e300], ["c", -1e-300], ["d", 2**60]]
    spec = chart_spec(["name", "n"], rows)
    assert [p["y"] for p in drawn(spec)] == [1e300, 2**53, -1e-300]
    json.dumps(spec, allow_nan=False)
    assert all(math.isfinite(p["y"]) for p in drawn(spec))


def test_a_scatter_skips_rows_without_both_numbers():
    rows = [[1, 2], [None, 3], [4, None], [5, 6], [7, 8]]
    spec = chart_spec(["a", "b"], rows)
    assert drawn(spec) == [{"x": 1, "y": 2}, {"x": 5, "y": 6}, {"x": 7, "y": 8}]
    notes = " ".join(meta(spec)["notes"])
    assert "1 of 5 rows not drawn: no number in b" in notes and "1 of 5 rows not drawn: no number in a" in notes


# -- truncation and names --------------------------------------------------------------------------------


def test_truncation_is_stated():
    rows = [["a", 1], ["b", 2]]
    spec = chart_spec(["name", "n"], rows, truncated=True)
    assert "the rows were truncated: the chart draws 2 of the 2 rows returned" in meta(spec)["notes"]
    assert "truncated" in spec["description"] and "truncated" in json.dumps(spec["title"])
    assert "truncated" not in json.dumps(chart_spec(["name", "n"], rows))


def test_column_names_are_just_data():
    name = """<b>"it's"</b> a.b [0] \\ {{x}}"""
    other = "<script>alert(1)</script>"
    spec = chart_spec([name, other], [["x", 1], ["y", 2]])
    # The data keys are fixed: Vega-Lite would read dots and brackets in a field name as a path.
    assert all(set(p) == {"x", "y"} for p in drawn(spec))
    # Axis and tooltip titles go into Vega expressions that Vega-Lite escapes only for '"': a backslash is
    # written as U+29F5 there (test_titles_cannot_break_a_vega_expression).
    assert spec["encoding"]["y"]["title"] == name.replace("\\", "\u29f5") and spec["encoding"]["x"]["title"] == other
    assert spec["title"] == f"{other} by {name}".replace("\\", "\u29f5")
    values = [[name, 1], [other, 2]]  # labels too
    assert {p["x"] for p in drawn(chart_spec(["label", "n"], values))} == {name, other}


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12), st.sampled_from(["bar", "line", "scatter"]))
def test_titles_cannot_break_a_vega_expression(first, second, shape):
    """An outside tester (session 35): column names ending in a backslash or holding a line break stopped the
    chart from drawing: Vega-Lite writes every title into a Vega expression escaping only '"'. No title a spec
    gives holds a backslash or a line break; the names themselves stay as they are in the table."""
    rows = {
        "bar": [["a", 1], ["b", 2]],
        "line": [["2020", 1], ["2021", 2]],
        "scatter": [[1, 2], [3, 4]],
    }[shape]
    columns = [first, second] if shape != "line" else ["year", second]
    specs = chart_specs(columns, rows)
    assert specs, (columns, rows)
    for spec in specs.values():
        titles = [value for key, value in _items(spec["encoding"]) if key == "title"]
        titles += [spec["description"], spec["title"]] if isinstance(spec["title"], str) else [spec["description"]]
        assert titles and not any(ch in title for title in titles for ch in "\\\r\n\u2028\u2029"), titles


def _items(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _items(value)
    elif isinstance(node, list):
        for item in node:
            yield from _items(item)


# -- the serialised result -------------------------------------------------------------------------------


def result_json(**overrides):
    data = {
        "ok": True,
        "sql": "select name, n from t",
        "columns": ["name", "n"],
        "rows": [["a", 1], ["b", 2]],
        "truncated": False,
    }
    return {**data, **overrides}


def test_chart_for_result():
    assert chart_for_result(result_json())["mark"]["type"] == "bar"
    assert chart_for_result(result_json(ok=False)) is None
    assert chart_for_result(result_json(sql=None, columns=[], rows=[])) is None  # answered from text
    assert chart_for_result(result_json(columns=["name", "body"], rows=[["a", "x"], ["b", "y"]])) is None
    # MCP caps the rows it returns: the chart draws those, and says so.
    capped = chart_for_result(result_json(rows_truncated=True))
    assert "truncated" in capped["description"]
    capped = chart_for_result(result_json(rows_truncated=True, row_cap_hit=False))  # the query itself not cut
    notes = capped["usermeta"]["datasette_llm"]["notes"]
    assert "the rows were truncated: the chart draws 2 of the 2 rows returned" in notes  # (an outside tester, s54)
    # Ask: rows cut only from what the answering model read are all drawn without a truncation note
    fitted = chart_for_result(result_json(truncated=True, row_cap_hit=False))
    assert "truncated" not in fitted["description"]
    assert "truncated" in chart_for_result(result_json(truncated=True, row_cap_hit=True))["description"]
