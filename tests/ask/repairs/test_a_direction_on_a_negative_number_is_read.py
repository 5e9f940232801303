"""A direction the question puts on a negative number is read like any other (logic_checks/directions.py: the
amount may carry a minus sign; `_number` reads `-5` as the negation of 5): "below -5" kept as `temp > -5` goes back
to the model, `temp < -5` does not. No test had a negative number: versions that dropped the sign from the
question or from the SQL survived (outside tester, session 56, mutants R04, R05).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"readings": ("id", "place", "temp")}
QUESTION = "Which places had a temperature below -5?"


def test_the_opposite_comparison_with_a_negative_number_is_doubted():
    found = logic_doubts("SELECT place FROM readings WHERE temp > -5", QUESTION, COLUMNS, ())
    assert found == [
        'temp > -5 keeps temp above -5, but the question says "below -5": compare the other way',
    ]


def test_the_comparison_the_question_states_is_left_alone():
    assert logic_doubts("SELECT place FROM readings WHERE temp < -5", QUESTION, COLUMNS, ()) == []
    assert logic_doubts("SELECT place FROM readings WHERE -5 > temp", QUESTION, COLUMNS, ()) == []
