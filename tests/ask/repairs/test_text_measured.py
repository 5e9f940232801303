"""A query that measures or slices the text of a table with embeddings (ask/repairs/text_measured.py)."""

import sqlite3

import pytest
from schema_helpers import SPIDER, spider_gold

from datasette_llm.ask.repairs.text_measured import measured_text

pytestmark = pytest.mark.no_datasette

COLUMNS = {"reports": ("id", "title", "report"), "places": ("id", "name", "kind")}
EMBEDDED = ["reports"]
QUESTION = "How long is Fenestine Bridge?"


@pytest.mark.parametrize(
    "sql, measured",
    [
        ("SELECT LENGTH(report) FROM reports WHERE title = 'Fenestine Bridge'", "LENGTH(report)"),
        ("select substr(report, 1, 4) as year from reports where title = 'x'", "SUBSTRING(report, 1, 4)"),
        ("select r.title, instr(r.report, 'long') from reports r", "INSTR(r.report, 'long')"),
        ("select length(trim(report)) + 1 from reports", "LENGTH(TRIM(report))"),
        ("select report from reports where title = 'Fenestine Bridge'", None),  # read, not measured
        ("select title from reports where length(report) > 100", None),  # a filter: the rows are read
        ("select length(name) from places", None),  # a table without embeddings
        ("select (select length(report) from reports limit 1) from places", None),  # not the rows shown
        ("select p.name, length(r.report) from places p join reports r on r.id = p.id", "LENGTH(r.report)"),
        ("SELECT FROM WHERE", None),
    ],
)
def test_a_measure_of_a_text_with_embeddings_in_the_rows_shown_is_found(sql, measured):
    assert measured_text(sql, QUESTION, COLUMNS, EMBEDDED) == measured


@pytest.mark.parametrize(
    "question",
    ["How many characters long is the report on Fenestine Bridge?", "What are the first 4 letters of its report?"],
)
def test_a_question_about_the_text_itself_is_left_to_sql(question):
    assert measured_text("select length(report) from reports", question, COLUMNS, EMBEDDED) is None


def test_without_a_table_with_embeddings_nothing_is_found():
    assert measured_text("select length(report) from reports", QUESTION, COLUMNS, []) is None


@pytest.mark.skipif(not spider_gold(), reason="Spider dev set not available")
def test_no_spider_gold_query_measures_text():
    found = []
    for item in spider_gold():
        conn = sqlite3.connect(SPIDER / "database" / item["db_id"] / f"{item['db_id']}.sqlite")
        names = [name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")]
        columns = {name: [row[1] for row in conn.execute(f'pragma table_info("{name}")')] for name in names}
        conn.close()
        # every table counted as having embeddings: the strictest reading
        if measured_text(item["query"], item["question"], columns, names):
            found.append(item["query"])
    assert found == []


def test_the_spider_check_would_see_a_measure():
    columns = {"singer": ["Name", "Country"]}
    assert measured_text("SELECT length(Name) FROM singer", "Which singer?", columns, ["singer"]) == "LENGTH(Name)"
