"""A LIMIT nobody asked for (logic_checks/row_counts.py unasked_row_limit) is doubted for 2 to 100 rows: LIMIT 1
(one arbitrary row, often "any one") and counts above 100 are left alone, and a count the question spells in
words up to "ten" is asked for. No test had the ends of that range: versions that moved either end or stopped
reading "ten" survived (outside tester, session 56, mutants C03, C04, C06).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"Student": ("StuID", "Fname", "Age")}


def doubts(limit, question="What are the names of the students?"):
    return logic_doubts(f"SELECT Fname FROM Student LIMIT {limit}", question, COLUMNS, ())


@pytest.mark.parametrize("limit", [2, 100])
def test_the_ends_of_the_range_are_doubted(limit):
    (found,) = doubts(limit)
    assert found.startswith(f"LIMIT {limit} without ORDER BY keeps {limit} arbitrary rows")


@pytest.mark.parametrize("limit", [1, 101])
def test_outside_the_range_no_doubt(limit):
    assert doubts(limit) == []


def test_ten_in_words_asks_for_ten_rows():
    assert doubts(10, "Give me ten students") == []
    assert len(doubts(10, "Give me some students")) == 1
