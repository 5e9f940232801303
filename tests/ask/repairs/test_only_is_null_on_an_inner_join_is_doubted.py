"""`T2.x IS NULL` after an INNER JOIN is doubted for "with no ..." questions (logic_checks/joined_tables.py
null_on_an_inner_join): rows without a related row are not there to test. `T2.x IS TRUE` tests a value the joined
row has; it is no such mistake. No test had an IS of a value: a version that read any IS as IS NULL doubted it
(outside tester, session 56, mutant J14).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {"Student": ("StuID", "Fname"), "Has_Pet": ("StuID", "PetID", "kind", "vaccinated")}
LINKS = (Link("Has_Pet", "StuID", "Student", "StuID"),)
JOINED = "SELECT T1.Fname FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID"
QUESTION = "Which students have no pets that are not vaccinated?"


def test_is_null_on_the_joined_row_is_doubted():
    found = logic_doubts(f"{JOINED} WHERE T2.kind IS NULL", QUESTION, COLUMNS, LINKS)
    assert any(d.startswith("T2.kind IS NULL is tested on the rows the JOIN found") for d in found)


def test_is_a_value_on_the_joined_row_is_not_doubted_as_a_null():
    found = logic_doubts(f"{JOINED} WHERE T2.vaccinated IS TRUE", QUESTION, COLUMNS, LINKS)
    assert not any("is tested on the rows the JOIN found" in d for d in found)
