"""A JOIN the question never asked for (repairs/unasked_joins.py) is judged by the words of its table's name that
the kept tables do not already bring (`Student_Enrolment` beside `Student` is judged by "enrolment"; "has" of
`Has_Pet` is filler), and it is kept when the question names any one of those words. No test had these: versions
that judged by every word, needed every word named, or counted "has" as a word survived (outside tester,
session 56, mutants U03, U05, U10).
"""

import pytest

from datasette_llm.ask.repairs.unasked_joins import drop_unasked_joins
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {
    "Student": ("StuID", "Fname"),
    "Student_Enrolment": ("StuID", "course"),
    "Has_Pet": ("StuID", "PetID"),
    "concert_ticket_sales": ("sale_id", "StuID"),
}
LINKS = (
    Link("Student_Enrolment", "StuID", "Student", "StuID"),
    Link("Has_Pet", "StuID", "Student", "StuID"),
    Link("concert_ticket_sales", "StuID", "Student", "StuID"),
)


def drop(table, question):
    sql = f"SELECT T1.Fname FROM Student AS T1 JOIN {table} AS T2 ON T1.StuID = T2.StuID"
    return drop_unasked_joins(sql, question, COLUMNS, LINKS)


def test_a_word_the_kept_table_brings_does_not_keep_the_join():
    assert drop("Student_Enrolment", "What are the first names of the students?")[0] == (
        "SELECT T1.Fname FROM Student AS T1"
    )


def test_one_word_of_the_joined_table_named_keeps_the_join():
    assert drop("concert_ticket_sales", "First names of students at concerts?") is None


def test_has_is_not_a_word_of_the_table():
    assert drop("Has_Pet", "What first name has each student?")[0] == "SELECT T1.Fname FROM Student AS T1"
