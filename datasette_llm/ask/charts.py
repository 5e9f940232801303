"""Charts for Ask results: choose a chart that suits the rows (or none) and describe it as Vega-Lite v5.

Only values from the rows are drawn, never a computed one (no sums, no averages), so a chart cannot show a
number the query did not return. The specs keep the data under the keys "x" and "y" and put the real
column names in the axis titles: column names are data, and Vega-Lite would read dots, brackets and
backslashes in a field name as a path.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from dataclasses import dataclass

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
KINDS = ("line", "bar", "scatter", "number")
TOP_BARS = 20
MAX_POINTS = 1000
# Integers beyond 2**53 lose digits in JavaScript: the page would draw a different number.
MAX_SAFE_INTEGER = 2**53
YEAR_NAME = re.compile(r"(^|[^a-z])(year|yr)s?([^a-z]|$)", re.IGNORECASE)
DATE_FORMATS = (
    ("year", re.compile(r"\d{4}")),
    ("month", re.compile(r"\d{4}-(0[1-9]|1[0-2])")),
    ("date", re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")),
    (
        "datetime",
        re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
    ),
)
# How Vega-Lite reads each kind of date: UTC time units for calendar values, so no time zone shifts a label.
TIME_UNITS = {"year": "utcyear", "month": "utcyearmonth", "date": "utcyearmonthdate", "datetime": None}


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    numeric: bool  # most rows hold a number (int or float, finite, exactly representable in JavaScript)
    time: str | None  # "year", "month", "date", "datetime", or "year_number" (integers in a year column)
    unique: bool  # no value repeats (a bar or a line point per row)


def is_number(value) -> bool:
    """A real number: not a bool, not NaN or infinite, and an integer small enough for JavaScript."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= 1e300
    return abs(value) <= MAX_SAFE_INTEGER


def date_format(value) -> str | None:
    """The kind of ISO date `value` is, or None. A day no calendar has ("2023-02-30") is none: the browser reads
    it as another ("2023-03-02") and drew the point there (an outside tester, session 54)."""
    if not isinstance(value, str):
        return None
    for name, pattern in DATE_FORMATS:
        if pattern.fullmatch(value):
            if name in ("date", "datetime"):
                try:
                    datetime.date(int(value[:4]), int(value[5:7]), int(value[8:10]))
                except ValueError:
                    return None
            return name
    return None


def time_kind(name: str, values: list) -> str | None:
    """The kind of date every non-null value is, or None: ISO strings of one precision, or years as integers
    when the column's name says year."""
    present = [v for v in values if v is not None]
    if len(present) < 2 or len(present) * 2 <= len(values):
        return None
    if YEAR_NAME.search(name) and all(
        isinstance(v, int) and not isinstance(v, bool) and 1900 <= v <= 2100 for v in present
    ):
        return "year_number"
    kinds = {date_format(v) for v in present}
    return kinds.pop() if len(kinds) == 1 and None not in kinds else None


def _key(value):
    """A value as a set member, as JavaScript tells labels apart: a blob's {"$base64", "encoded"} as a tuple (repr
    of a 100 KB blob's text cost a millisecond a cell on the event loop), anything else as String() writes it. Vega
    groups a band's rows by that text: the integer 1 and the text "1" were two labels here and one band there, its
    bars stacked into a sum no row holds (an outside tester, session 54)."""
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))  # JavaScript writes 2.0 as "2"
    return str(value)


def describe_columns(columns, rows) -> list[Column]:
    described = []
    for index, name in enumerate(columns):
        values = [row[index] for row in rows]
        numbers = sum(1 for v in values if is_number(v))
        hashable = [_key(v) for v in values]
        described.append(
            Column(
                index=index,
                name=str(name),
                numeric=numbers * 2 > len(values),
                time=time_kind(str(name), values),
                unique=len(set(hashable)) == len(hashable),
            )
        )
    return described


def is_label(value) -> bool:
    """A value that can name a bar: text or a number, never a blob ({"$base64": ...}) or null."""
    return isinstance(value, str) or is_number(value)


def points(rows, x: Column, y: Column, x_ok, x_missing: str = "value") -> tuple[list[dict], list[str]]:
    """{"x", "y"} for each row whose x passes `x_ok` and whose y is a number; and notes on the rows left out."""
    kept = [{"x": row[x.index], "y": row[y.index]} for row in rows if x_ok(row[x.index]) and is_number(row[y.index])]
    no_y = sum(1 for row in rows if not is_number(row[y.index]))
    no_x = len(rows) - len(kept) - no_y
    notes = [
        f"{count:,} of {len(rows):,} rows not drawn: no {what} in {column.name}"
        for count, what, column in ((no_y, "number", y), (no_x, x_missing, x))
        if count
    ]
    return kept, notes


def _mark_text(encoding: dict) -> list[dict]:
    """The calculations that write each mark's row as text (`mark_text`, the last), the x channel first: a
    column's title, then its value as the table shows it. A number in full (Vega's own format keeps 12 digits), a
    date as the row holds it (`x_text` in the data: a date is parsed before any calculation sees it)."""
    parts, transform = [], []
    for channel in ("x", "y"):
        field, kind = encoding[channel]["field"], encoding[channel]["type"]
        if kind == "temporal":
            field = "x_text"
        elif kind == "quantitative" and "format" not in encoding[channel].get("axis", {}):  # years: as they are
            field = f"{field}_text"
            transform.append(NUMBER_TEXTS[field])
        title = encoding[channel]["title"].translate(_EXPRESSION_BREAKERS)  # inside a string: no lookup to avoid
        parts.append(f"{json.dumps(title + ': ')} + toString(datum.{field})")
    return [*transform, {"calculate": " + '; ' + ".join(parts), "as": "mark_text"}]


def spec_for(kind: str, title: str, notes: list[str], values: list[dict], mark: dict, encoding: dict) -> dict:
    transform = _mark_text(encoding) if "x" in encoding and "y" in encoding else []
    encoding = _safe_titles(encoding)
    title, notes = expression_safe(title), [expression_safe(note) for note in notes]
    if transform:
        # Each mark's tooltip, and its ARIA description, is one text of its row. A tooltip of a list of fields made
        # Vega-Lite key an object by the columns' names: a name like a JavaScript object's own (`constructor`,
        # `toString`) stopped the chart from drawing, two columns of one name showed one value, and dates were
        # formatted in the viewer's time zone, so a row's "2024-01-01" read "Dec 31, 2023" west of UTC (an
        # outside tester, session 54).
        mark_text = {"field": "mark_text", "type": "nominal"}
        encoding = {**encoding, "description": mark_text, "tooltip": mark_text}
    return {
        "$schema": SCHEMA,
        "description": ". ".join([title, *notes]),
        "title": {"text": title, "subtitle": notes} if notes else title,
        "data": {"values": values},
        **({"transform": transform} if transform else {}),
        "width": 560,
        "height": 280,
        "mark": mark,
        "encoding": encoding,
        "usermeta": {"datasette_llm": {"kind": kind, "notes": notes}},
    }


def common_notes(row_count: int, drawn: int, skipped: list[str], truncated: bool) -> list[str]:
    notes = list(skipped)
    if truncated:
        notes.append(f"the rows were truncated: the chart draws {drawn:,} of the {row_count:,} rows returned")
    return notes


# Vega-Lite writes titles into Vega expressions (a tooltip's, the ARIA descriptions) escaping only '"': a column
# name ending in a backslash, or holding a line break, made the chart fail to draw (an outside tester, session
# 35). Every title, subtitle and description a spec gives is written so; the table has the names as they are.
_EXPRESSION_BREAKERS = str.maketrans({"\\": "\u29f5", "\r": " ", "\n": " ", "\u2028": " ", "\u2029": " "})


# A title, subtitle or description that is the name of one of a JavaScript object's own properties stopped Vega
# from drawing ("Operator not defined": it looks such text up among its operators; an outside tester, session 54).
# Such a text gets a zero-width space at its end: it looks the same.
_OBJECT_PROPERTIES = frozenset(
    "constructor __defineGetter__ __defineSetter__ hasOwnProperty __lookupGetter__ __lookupSetter__ isPrototypeOf "
    "propertyIsEnumerable toString valueOf __proto__ toLocaleString".split()
)


def expression_safe(title: str) -> str:
    """A title as Vega-Lite may write it into an expression: a backslash as U+29F5 (⧵), line breaks as spaces; and
    as Vega may look it up: not the bare name of an object's own property."""
    title = title.translate(_EXPRESSION_BREAKERS)
    return title + "\u200b" if title in _OBJECT_PROPERTIES else title


def _safe_titles(encoding):
    """The encoding with every title expression_safe()."""
    if isinstance(encoding, dict):
        return {
            key: expression_safe(value) if key == "title" and isinstance(value, str) else _safe_titles(value)
            for key, value in encoding.items()
        }
    if isinstance(encoding, list):
        return [_safe_titles(item) for item in encoding]
    return encoding


# A number as text, in full: Vega's default number format keeps 12 significant digits, so tooltips (and the marks'
# ARIA descriptions, which are the tooltip's) showed 1234567890123 as 1.23456789012e+12 (an outside tester,
# session 36). toString() writes the shortest text that reads back as the same double.
NUMBER_TEXTS = {
    "x_text": {"calculate": "toString(datum.x)", "as": "x_text"},
    "y_text": {"calculate": "toString(datum.y)", "as": "y_text"},
}


def time_encoding(x: Column, values: list[dict]) -> dict:
    if x.time == "year_number":
        # No more ticks than years between the first and the last: with more, ticks stood at half years, their
        # labels rounded to a year ("2020" at 2019.5; tickMinStep did not stop it; an outside tester, session 54).
        years = max(p["x"] for p in values) - min(p["x"] for p in values)
        return {"field": "x", "type": "quantitative", "title": x.name, "scale": {"zero": False},
                "axis": {"format": "d", "tickMinStep": 1, "tickCount": max(1, min(years, 10))}}  # fmt: skip
    encoding = {"field": "x", "type": "temporal", "title": x.name}
    if TIME_UNITS[x.time]:
        encoding["timeUnit"] = TIME_UNITS[x.time]
    return encoding


def point_notes(rows, values: list[dict], skipped: list[str], truncated: bool, order: str) -> tuple[list, list]:
    """The points drawn (at most MAX_POINTS) and the notes on what was left out."""
    shown = values[:MAX_POINTS]
    notes = common_notes(len(rows), len(shown), skipped, truncated)
    if len(values) > MAX_POINTS:
        notes.append(f"the first {MAX_POINTS:,} of {len(values):,} points{order}; others not drawn")
    return shown, notes


def line_spec(rows, x: Column, y: Column, truncated: bool) -> dict | None:
    values, skipped = points(rows, x, y, lambda v: v is not None)
    if len(values) < 2:
        return None
    values.sort(key=lambda p: p["x"])
    shown, notes = point_notes(rows, values, skipped, truncated, f" by {x.name}")
    x_encoding = time_encoding(x, shown)
    if x_encoding["type"] == "temporal":  # the date as the row holds it, for the marks' descriptions
        shown = [{**point, "x_text": str(point["x"])} for point in shown]
    y_encoding = {"field": "y", "type": "quantitative", "title": y.name}
    encoding = {"x": x_encoding, "y": y_encoding}
    return spec_for("line", f"{y.name} by {x.name}", notes, shown, {"type": "line", "point": True}, encoding)


def bar_spec(rows, x: Column, y: Column, truncated: bool) -> dict | None:
    """Horizontal bars, one per row: the largest first, or in date order when the labels are dates."""
    values, skipped = points(rows, x, y, is_label)
    if len(values) < 2:
        return None
    if x.time:
        values.sort(key=lambda p: p["x"])
        order, rest = None, f"the first {TOP_BARS} of {len(values):,} by {x.name}; others not drawn"
    else:
        values.sort(key=lambda p: p["y"], reverse=True)  # stable: ties keep the query's order
        order, rest = "-x", f"top {TOP_BARS} of {len(values):,} by {y.name}; others not drawn"
    drawn = values[:TOP_BARS]
    notes = common_notes(len(rows), len(drawn), skipped, truncated)
    if len(values) > TOP_BARS:
        notes.insert(0, rest)
    label = {"field": "x", "type": "ordinal" if x.time else "nominal", "title": x.name, "sort": order}
    # Not stacked: one bar a label. Vega's stack groups rows in a plain object by label, and a label named like
    # one of a JavaScript object's own (`constructor`) stopped the chart from drawing (an outside tester, session 54).
    number = {"field": "y", "type": "quantitative", "title": y.name, "stack": None}
    encoding = {"y": label, "x": number}
    spec = spec_for("bar", f"{y.name} by {x.name}", notes, drawn, {"type": "bar"}, encoding)
    spec["height"] = {"step": 22}
    return spec


def scatter_spec(rows, x: Column, y: Column, truncated: bool) -> dict | None:
    values, skipped = points(rows, x, y, is_number, "number")
    if len(values) < 2:
        return None
    shown, notes = point_notes(rows, values, skipped, truncated, "")
    x_encoding, y_encoding = (
        {"field": field, "type": "quantitative", "title": column.name, "scale": {"zero": False}}
        for field, column in (("x", x), ("y", y))
    )
    encoding = {"x": x_encoding, "y": y_encoding}
    mark = {"type": "point", "filled": True}
    return spec_for("scatter", f"{y.name} against {x.name}", notes, shown, mark, encoding)


def number_spec(name: str, value, truncated: bool) -> dict:
    notes = ["the rows were truncated: this is the only row returned"] if truncated else []
    mark = {"type": "text", "fontSize": 56, "fontWeight": "bold"}
    encoding = {"text": {"field": "value", "type": "nominal"}}  # nominal: shown exactly as returned
    # As text, as the table shows it (JSON's own spelling): a number, Vega wrote with JavaScript's String(), which
    # drew the REAL 7.138982537461207e+17 as 713898253746120700, an integer the database does not hold, -0.0 as 0
    # and 3.0 as 3 (an outside tester, session 40).
    text = json.dumps(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    spec = spec_for("number", name, notes, [{"value": text}], mark, encoding)
    spec.update(width=300, height=90)
    return spec


def chart_specs(columns, rows, truncated: bool = False) -> dict[str, dict]:
    """Every chart that suits these rows, best first: {"line" | "bar" | "scatter" | "number": spec}."""
    columns, rows = list(columns or ()), list(rows or ())
    if not columns or not rows or not all(isinstance(row, (list, tuple)) for row in rows):
        return {}
    rows = [list(row[: len(columns)]) + [None] * (len(columns) - len(row)) for row in rows]
    if len(rows) == 1 and len(columns) == 1:
        value = rows[0][0] if rows[0] else None
        return {"number": number_spec(str(columns[0]), value, truncated)} if is_number(value) else {}
    described = describe_columns(columns, rows)
    times = [c for c in described if c.time and c.unique]
    numbers = [c for c in described if c.numeric and c.time != "year_number"]
    labels = [c for c in described if c.unique and not c.numeric and not c.time]
    specs: dict[str, dict | None] = {}
    if times and numbers:
        specs["line"] = line_spec(rows, times[0], numbers[0], truncated)
    if numbers and (labels or times):
        specs["bar"] = bar_spec(rows, (labels or times)[0], numbers[0], truncated)
    if len(numbers) >= 2:
        specs["scatter"] = scatter_spec(rows, numbers[0], numbers[1], truncated)
    return {kind: spec for kind, spec in specs.items() if spec is not None}


def chart_spec(columns, rows, truncated: bool = False) -> dict | None:
    """The best chart for these rows as a Vega-Lite v5 spec, or None. Its `usermeta.datasette_llm` names its
    kind and, under `alternatives`, the other charts that suit the rows (for a page that lets people switch)."""
    specs = chart_specs(columns, rows, truncated)
    if not specs:
        return None
    kind, spec = next(iter(specs.items()))
    spec["usermeta"]["datasette_llm"]["alternatives"] = {k: s for k, s in specs.items() if k != kind}
    return spec


def chart_for_result(result_json: dict) -> dict | None:
    """The chart for a serialised Ask result (columns, rows, row_cap_hit / truncated, rows_truncated), or None."""
    if not result_json.get("ok", True) or not result_json.get("sql"):
        return None
    # An Ask result's `truncated` is also set when only the rows the answering model read were cut; the rows
    # themselves are all there unless the query hit the row cap (`row_cap_hit`), or a caller capped them.
    if "row_cap_hit" in result_json:
        truncated = bool(result_json["row_cap_hit"] or result_json.get("rows_truncated"))
    else:
        truncated = bool(result_json.get("truncated") or result_json.get("rows_truncated"))
    return chart_spec(result_json.get("columns"), result_json.get("rows"), truncated)
