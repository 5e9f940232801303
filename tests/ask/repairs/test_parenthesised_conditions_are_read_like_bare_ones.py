"""The AND-ed conditions of a WHERE are read with their parentheses dropped (logic_checks/where_parts.py
operands): `(Age = 18) AND (Age = 19)` is the same impossible pair as without them. No test had parentheses: a
version that kept them read nothing (outside tester, session 56, mutant W01).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"Student": ("StuID", "Fname", "Age")}


def test_parenthesised_conditions_are_read():
    bare = logic_doubts("SELECT Fname FROM Student WHERE Age = 18 AND Age = 19", "?", COLUMNS, ())
    wrapped = logic_doubts("SELECT Fname FROM Student WHERE (Age = 18) AND ((Age = 19))", "?", COLUMNS, ())
    assert len(bare) == 1 and wrapped == bare
