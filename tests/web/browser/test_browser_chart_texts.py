"""What Chromium draws from chart specs whose texts are the rows': column names and labels named like a JavaScript
object's own properties, two columns of one name, dates read in a time zone west of UTC, and a few years on an axis.

Each spec comes from charts.py and is drawn by the vendored vega and vega-lite, loaded as the Ask page loads them
(its form's data-chart-scripts), in a browser whose time zone is America/New_York. Found by an outside tester
(session 54): the names stopped the chart from drawing, one of two same-named columns left every tooltip, the
tooltip of the row "2024-01-01" read "Dec 31, 2023", and three years were labelled 2019, 2020, 2020, 2021, 2021.
"""

import sqlite3

import pytest
from datasette.app import Datasette
from server_helpers import serve_in_thread

from datasette_llm.ask.charts import chart_specs

pytestmark = [pytest.mark.browser]

# Object.getOwnPropertyNames(Object.prototype)
OBJECT_PROPERTIES = (
    "constructor __defineGetter__ __defineSetter__ hasOwnProperty __lookupGetter__ __lookupSetter__ isPrototypeOf "
    "propertyIsEnumerable toString valueOf __proto__ toLocaleString".split()
)

DRAW = """async (specs) => {
  const form = document.querySelector("[data-chart-scripts]");
  for (const src of form.dataset.chartScripts.split(" ").filter(Boolean)) {
    await new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src; script.onload = resolve; script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  const drawn = {};
  for (const [id, spec] of Object.entries(specs)) {
    const logged = [];
    const logger = {level() { return this; }, error(...a) { logged.push(a.join(" ")); },
                    warn(...a) { logged.push(a.join(" ")); }, info() {}, debug() {}};
    try {
      const area = document.createElement("div");
      document.body.appendChild(area);
      const view = new vega.View(vega.parse(vegaLite.compile(spec, {logger}).spec),
                                 {renderer: "svg", container: area, logger});
      await view.runAsync();
      const tooltips = [], labels = [];
      (function walk(node) {
        if (!node) return;
        if (node.role === "mark" && node.items) for (const item of node.items)
          if (item.datum && item.datum.mark_text !== undefined) tooltips.push(item.tooltip);
        if (node.role === "axis-label" && node.items) for (const item of node.items)
          labels.push({text: item.text, value: item.datum.value, visible: item.opacity !== 0});
        if (node.items) for (const item of node.items) walk(item);
      })(view.scenegraph().root);
      drawn[id] = {ok: true, logged, tooltips, labels};
    } catch (error) {
      drawn[id] = {ok: false, error: String(error.message), logged};
    }
  }
  return drawn;
}"""


@pytest.fixture(scope="module")
def ask_page_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("charts") / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (n integer)")
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    with serve_in_thread(ds.app()) as base:
        yield f"{base}/data/-/ask"


def draw(browser, url, specs: dict) -> dict:
    context = browser.new_context(timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.goto(url)
        assert page.evaluate("() => new Date(2024, 0, 1).getTimezoneOffset()") == 300  # the zone took effect
        return page.evaluate(DRAW, specs)
    finally:
        context.close()


def test_names_and_labels_of_object_properties_draw_with_every_value(browser, ask_page_url):
    shapes = {
        "bar": lambda name: (["word", name], [["a", 1], ["b", 2], ["c", 3]]),
        "scatter": lambda name: ([name, "n"], [[1, 2], [3, 4], [5, 7]]),
        "line": lambda name: (["day", name], [["2024-01-01", 1], ["2024-01-02", 2]]),
        "label": lambda name: (["word", "uses"], [[name, 3], ["apple", 2], ["pear", 1]]),
    }
    specs, rows_of = {}, {}
    for name in OBJECT_PROPERTIES:
        for shape, make in shapes.items():
            columns, rows = make(name)
            kind = "bar" if shape == "label" else shape
            specs[f"{shape} {name}"] = chart_specs(columns, rows)[kind]
            rows_of[f"{shape} {name}"] = (columns, rows)
    drawn = draw(browser, ask_page_url, specs)
    for key, (columns, rows) in rows_of.items():
        result = drawn[key]
        assert result["ok"], (key, result)
        assert result["logged"] == [], (key, result["logged"])
        assert len(set(result["tooltips"])) == len(rows), key  # a line's points: line and point marks alike
        for row in rows:  # each row's tooltip names both its columns, as they are, with their values
            said = {f"{column}: {value}" for column, value in zip(columns, row)}
            assert any(set(tip.split("; ")) == said for tip in result["tooltips"]), (key, row, result["tooltips"])


def test_two_columns_of_one_name_each_keep_their_value(browser, ask_page_url):
    drawn = draw(browser, ask_page_url, {"scatter": chart_specs(["n", "n"], [[1, 2], [3, 4], [5, 7]])["scatter"]})
    assert sorted(drawn["scatter"]["tooltips"]) == ["n: 1; n: 2", "n: 3; n: 4", "n: 5; n: 7"]


def test_dates_are_told_as_the_rows_hold_them_west_of_utc(browser, ask_page_url):
    cases = {
        "year": (["year", "n"], [["2021", 1], ["2022", 2], ["2023", 3]]),
        "month": (["month", "n"], [["2024-01", 1], ["2024-02", 2], ["2024-03", 3]]),
        "date": (["day", "n"], [["2024-01-01", 1], ["2024-01-02", 2], ["2024-01-03", 3]]),
    }
    drawn = draw(browser, ask_page_url, {kind: chart_specs(*case)["line"] for kind, case in cases.items()})
    for kind, (columns, rows) in cases.items():
        assert drawn[kind]["logged"] == []
        assert sorted(set(drawn[kind]["tooltips"])) == [f"{columns[0]}: {day}; {columns[1]}: {n}" for day, n in rows]


@pytest.mark.parametrize("years", [[2019, 2020, 2021], [2020, 2021], [2000, 2001, 2002, 2003, 2004], [1950, 2020]])
def test_each_year_on_the_axis_stands_at_the_year_it_names(browser, ask_page_url, years):
    spec = chart_specs(["year", "n"], [[year, i + 1] for i, year in enumerate(years)])["line"]
    labels = draw(browser, ask_page_url, {"years": spec})["years"]["labels"]
    year_labels = [label for label in labels if label["text"].isdigit() and len(label["text"]) == 4]
    assert {years[0], years[-1]} & {int(label["text"]) for label in year_labels}
    wrong = [label for label in year_labels if label["visible"] and label["value"] != int(label["text"])]
    assert wrong == []
