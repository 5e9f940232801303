"""The words "from oldest to youngest" ask for an age from high to low, but for anything else (a vintage year, a birth
date) the oldest comes first from low to high; logic_checks/directions.py reads these words only for a column
named `age` (or `..._age_...`), not one whose name merely contains the letters. No test had such a column: a
version that read them for `vintage` doubted the right sort (outside tester, session 56, mutant R20).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"wines": ("id", "name", "vintage", "age")}
QUESTION = "List the wines from oldest to youngest"


def test_a_column_containing_the_letters_age_is_not_an_age():
    assert logic_doubts("SELECT name FROM wines ORDER BY vintage", QUESTION, COLUMNS, ()) == []


def test_an_age_is_read():
    found = logic_doubts("SELECT name FROM wines ORDER BY age", QUESTION, COLUMNS, ())
    assert found == ["ORDER BY age lists the lowest first, but the question asks for the highest first: sort DESC"]
