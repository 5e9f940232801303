"""A measure of a column the query's tables do not resolve to one table (ask/repairs/text_measured.py) is no
measure of an embedded table's text, and reading it must not fail. Written by an outside tester (attack57m): a
mutant that dropped the `table and` guard survived the repo's tests."""

import pytest

from datasette_llm.ask.repairs.text_measured import measured_text

pytestmark = pytest.mark.no_datasette

COLUMNS = {"reports": ("id", "title", "report"), "notes": ("id", "report")}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT LENGTH(nosuch) FROM reports",  # no table has it
        "SELECT LENGTH(report) FROM reports JOIN notes ON notes.id = reports.id",  # two tables have it
    ],
)
def test_a_column_of_no_single_table_is_no_measure(sql):
    assert measured_text(sql, "How long is Fenestine Bridge?", COLUMNS, {"reports"}) is None


def test_a_column_of_the_embedded_table_is_a_measure():
    sql = "SELECT LENGTH(reports.report) FROM reports JOIN notes ON notes.id = reports.id"
    assert measured_text(sql, "How long is Fenestine Bridge?", COLUMNS, {"reports"}) == "LENGTH(reports.report)"
