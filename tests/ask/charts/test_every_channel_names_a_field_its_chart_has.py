"""Every spec charts.py writes is well formed for Vega-Lite: each channel (the tooltip too) names a field the data
or a transform gives, with a Vega-Lite type; each transform step is {"calculate", "as"}; the mark is a known one;
the spec sits under its own kind; and the spec reads back from JSON as it is."""

import json

import pytest

from datasette_llm.ask.charts import chart_spec, chart_specs

pytestmark = pytest.mark.no_datasette

TYPES = {"quantitative", "nominal", "ordinal", "temporal"}
MARKS = {"line": "line", "bar": "bar", "scatter": "point", "number": "text"}
SHAPES = [
    (["name", "n"], [["a", 1], ["b", 2], ["c", 3]]),
    (["day", "n"], [["2020-01-02", 1], ["2021-03-04", 2]]),
    (["month", "n", "m"], [["2024-01", 1, 4], ["2024-02", 2, 5]]),
    (["release_year", "n"], [[2020, 1], [2021, 2]]),
    (["a", "b"], [[1.5, 2], [3, 4]]),
    (["count(*)"], [[42]]),
]


@pytest.mark.parametrize("columns, rows", SHAPES)
def test_well_formed(columns, rows):
    specs = chart_specs(columns, rows)
    assert specs
    for kind, spec in specs.items():
        assert spec["usermeta"]["datasette_llm"]["kind"] == kind
        assert json.loads(json.dumps(spec, allow_nan=False)) == spec
        assert spec["mark"]["type"] == MARKS[kind]
        steps = spec.get("transform", [])
        assert all(set(step) == {"calculate", "as"} and step["calculate"] for step in steps)
        fields = set().union(*(set(p) for p in spec["data"]["values"])) | {step["as"] for step in steps}
        for channel in spec["encoding"].values():
            assert channel["field"] in fields and channel["type"] in TYPES, channel
        for name in ("x", "y"):
            if name in spec["encoding"]:
                assert spec["encoding"][name]["field"] in {"x", "y"}
                assert isinstance(spec["encoding"][name]["title"], str)
    main = chart_spec(columns, rows)
    assert main["usermeta"]["datasette_llm"]["kind"] == next(iter(specs))
