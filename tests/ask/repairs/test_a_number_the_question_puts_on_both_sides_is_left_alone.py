"""A number the question puts a direction on both ways ("over 30 ... under 30") gives no direction to check
against (logic_checks/directions.py keeps every direction said of a number; a comparison either way is one the
question asks for). No test had such a question: a version that kept only the last direction said doubted
`age < 30` (outside tester, session 56, mutant R18).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"people": ("id", "name", "age")}
QUESTION = "How many people are over 30, and how many are under 30?"


@pytest.mark.parametrize("comparison", ["age < 30", "age > 30", "age <= 30", "age >= 30"])
def test_either_comparison_is_left_alone(comparison):
    assert logic_doubts(f"SELECT COUNT(*) FROM people WHERE {comparison}", QUESTION, COLUMNS, ()) == []
