"""Either taken for both (logic_checks/both.py) is not raised on a query that already asks for both: one that
INTERSECTs, one whose IN is inside a subquery grouped with `HAVING COUNT(DISTINCT ...) = 2` (the form the doubt
itself advises), and an IN in an ON clause (it picks joined rows, not the answer's). No test had these: versions
that read the IN of a set operation, of another SELECT or of a JOIN survived (outside tester, session 56, mutants
L01, B02, B01).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {
    "Student": ("StuID", "Fname"),
    "Has_Pet": ("StuID", "PetID"),
    "Pets": ("PetID", "PetType"),
}
LINKS = (Link("Has_Pet", "StuID", "Student", "StuID"), Link("Has_Pet", "PetID", "Pets", "PetID"))
JOINED = "FROM Student AS T1 JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID JOIN Pets AS T3 ON T2.PetID = T3.PetID"
QUESTION = "Which students have both a cat and a dog?"


def either(sql, question=QUESTION):
    return [d for d in logic_doubts(sql, question, COLUMNS, LINKS) if "either" in d]


def test_the_check_fires_on_the_plain_either():
    assert len(either(f"SELECT T1.Fname {JOINED} WHERE T3.PetType IN ('cat', 'dog')")) == 1


def test_an_in_list_inside_an_intersect_is_left_alone():
    sql = (
        f"SELECT T1.Fname {JOINED} WHERE T3.PetType = 'cat' AND T1.Fname IN ('Ann', 'Bob') "
        f"INTERSECT SELECT T1.Fname {JOINED} WHERE T3.PetType = 'dog'"
    )
    assert either(sql, "Which of Ann and Bob have both a cat and a dog?") == []


def test_an_in_list_grouped_to_count_both_values_in_a_subquery_is_left_alone():
    sql = (
        "SELECT Fname FROM Student WHERE StuID IN (SELECT T2.StuID FROM Has_Pet AS T2 JOIN Pets AS T3 ON "
        "T2.PetID = T3.PetID WHERE T3.PetType IN ('cat', 'dog') GROUP BY T2.StuID "
        "HAVING COUNT(DISTINCT T3.PetType) = 2)"
    )
    assert either(sql) == []


def test_an_in_list_in_an_on_clause_is_left_alone():
    sql = (
        "SELECT Fname FROM (SELECT T1.Fname, COUNT(DISTINCT T3.PetType) AS kinds FROM Student AS T1 "
        "JOIN Has_Pet AS T2 ON T1.StuID = T2.StuID JOIN Pets AS T3 ON T2.PetID = T3.PetID "
        "AND T3.PetType IN ('cat', 'dog') GROUP BY T1.StuID) WHERE kinds = 2"
    )
    assert either(sql) == []
