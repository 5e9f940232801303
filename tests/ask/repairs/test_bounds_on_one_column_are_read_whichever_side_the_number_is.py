"""Conditions one row cannot meet (logic_checks/one_row.py impossible_or_redundant) are read whichever side the
number is written on (`21 < Age` is Age above 21), only for numbers (a range of text, `Fname > 'A' AND Fname <
'M'`, is left alone and breaks nothing), and the same condition written twice is one condition, not two values.
No test had these: versions that ignored the side, read text bounds (and failed comparing them), or counted a
repeated condition as a second value survived (outside tester, session 56, mutants O04, O06, O07).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"Student": ("StuID", "Fname", "Age")}


def doubts(where):
    return logic_doubts(f"SELECT Fname FROM Student WHERE {where}", "Which students?", COLUMNS, ())


@pytest.mark.parametrize("where", ["21 < Age AND Age < 18", "Age < 18 AND 21 < Age", "18 > Age AND 21 < Age"])
def test_bounds_written_either_way_round_that_exclude_each_other_are_doubted(where):
    (found,) = doubts(where)
    assert "can never hold for one row" in found


@pytest.mark.parametrize("where", ["18 < Age AND Age < 21", "Age > 18 AND 21 > Age", "21 > Age AND 18 < Age"])
def test_bounds_written_either_way_round_that_meet_no_doubt(where):
    assert doubts(where) == []


def test_a_range_of_text_is_left_alone():
    assert doubts("Fname > 'A' AND Fname < 'M'") == []


def test_one_condition_written_twice_is_not_two_values():
    assert doubts("Age = 18 AND Age = 18") == []
