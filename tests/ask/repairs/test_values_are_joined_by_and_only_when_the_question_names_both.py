"""Two values "joined by and" (logic_checks/both.py _joined_by_and) are two values the question names with "and"
between them; a value the question does not name at all joins nothing, whatever words come before the other.
No test had a value missing from the question: a version that measured from "not found" (position -1) read the
"and" of "paragraphs and documents" as joining them (outside tester, session 56, mutant B13).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {"documents": ("document_id", "name"), "paragraphs": ("paragraph_id", "document_id", "text")}
LINKS = (Link("paragraphs", "document_id", "documents", "document_id"),)
SQL = "SELECT document_id FROM paragraphs WHERE text IN ('Brazil', 'Ireland')"


def test_a_value_the_question_does_not_name_joins_nothing():
    assert logic_doubts(SQL, "Which paragraphs and documents mention Brazil?", COLUMNS, LINKS) == []


def test_two_values_the_question_joins_with_and_are_doubted():
    found = logic_doubts(SQL, "Which documents mention Brazil and Ireland?", COLUMNS, LINKS)
    assert len(found) == 1 and "keeps rows that match either value" in found[0]
