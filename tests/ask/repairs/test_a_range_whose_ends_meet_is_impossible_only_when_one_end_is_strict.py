"""Two bounds on one column that meet at one number (logic_checks/one_row.py impossible_or_redundant):
`Age > 18 AND Age < 18` can never hold. No test had bounds that meet: a version that needed the lower bound
strictly above the upper one missed it (outside tester, session 56, mutant O03).
(`Age >= 18 AND Age <= 18` holds for every row of 18: see repro inclusive_bounds_called_impossible.py; this file
pins only the strict case, which holds before and after that fix.)
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"Student": ("StuID", "Fname", "Age")}


@pytest.mark.parametrize("where", ["Age > 18 AND Age < 18", "Age >= 18 AND Age < 18", "Age > 18 AND Age <= 18"])
def test_bounds_that_meet_with_a_strict_end_can_never_hold(where):
    found = logic_doubts(f"SELECT Fname FROM Student WHERE {where}", "Which students?", COLUMNS, ())
    assert len(found) == 1 and "can never hold for one row" in found[0]
