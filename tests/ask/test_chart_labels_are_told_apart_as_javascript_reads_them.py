"""Bar labels are one per row as the page's JavaScript tells them apart, not as Python does (ask/charts.py).

Vega groups a band's rows by String(value): the integer 1 and the text "1" (a column of mixed types, as SQLite
allows), or 2 and 2.0, are one band there, and their bars were stacked into a sum no row holds (the text's bar
from 5 to 12). The oracle is JavaScript's String() of each label, written out here; a column whose labels it reads
as one repeats, and so gets no bar chart. Found by an outside tester drawing every spec with the vendored vega
(session 54).
"""

import pytest

from datasette_llm.ask.charts import chart_specs

pytestmark = pytest.mark.no_datasette


@pytest.mark.parametrize(
    "labels, one_per_row",
    [
        ([1, "1", "a"], False),
        ([2, 2.0, "b"], False),
        ([None, "null", "c"], False),
        ([True, "true", "d"], False),
        ([1, "01", "a"], True),  # "1" and "01": two labels in JavaScript too
        ([1.5, "1.50", "a"], True),
        (["x", "y", "z"], True),
    ],
)
def test_a_bar_chart_only_when_javascript_reads_every_label_once(labels, one_per_row):
    rows = [[label, n] for label, n in zip(labels, (5, 7, 1))]
    assert ("bar" in chart_specs(["name", "n"], rows)) is one_per_row, labels
