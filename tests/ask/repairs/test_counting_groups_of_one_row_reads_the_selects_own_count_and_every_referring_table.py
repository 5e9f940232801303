"""COUNT over groups of one row (logic_checks/row_counts.py count_of_one_row_groups) is doubted for a SELECT over
one table with no JOIN whose own COUNT counts groups of a key other tables refer to, and the doubt names every
table that refers to it. A JOIN to a subquery, or a COUNT in a correlated subquery, counts the related rows
already. No test had these: versions that read a JOINed query, a subquery's COUNT, or named only the first
referring table survived (outside tester, session 56, mutants C09, C10, C12).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {
    "documents": ("document_id", "name"),
    "paragraphs": ("paragraph_id", "document_id"),
    "images": ("image_id", "document_id"),
}
LINKS = (
    Link("paragraphs", "document_id", "documents", "document_id"),
    Link("images", "document_id", "documents", "document_id"),
)


def doubts(sql):
    return [d for d in logic_doubts(sql, "Which document has the most parts?", COLUMNS, LINKS) if "COUNT is 1" in d]


def test_every_referring_table_is_named():
    (found,) = doubts("SELECT name FROM documents GROUP BY document_id ORDER BY COUNT(*) DESC LIMIT 1")
    assert found.endswith(
        "JOIN the table that refers to it: paragraphs ON paragraphs.document_id = documents.document_id, "
        "images ON images.document_id = documents.document_id"
    )


def test_a_join_to_a_subquery_is_left_alone():
    sql = (
        "SELECT d.name FROM documents AS d JOIN (SELECT document_id FROM paragraphs) AS p "
        "ON p.document_id = d.document_id GROUP BY d.document_id ORDER BY COUNT(*) DESC LIMIT 1"
    )
    assert doubts(sql) == []


def test_a_count_in_a_correlated_subquery_is_left_alone():
    sql = (
        "SELECT d.name, (SELECT COUNT(*) FROM paragraphs AS p WHERE p.document_id = d.document_id) AS parts "
        "FROM documents AS d GROUP BY d.document_id"
    )
    assert doubts(sql) == []
