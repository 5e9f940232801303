"""A table joined to itself on its key (logic_checks/joined_tables.py joined_to_itself_on_its_key) means the same
column on both sides, `T1.Id = T2.Id`: each row meets only itself. A table joined to itself through its own
foreign key, `T1.id = T2.manager_id` (each employee with the employees they manage), pairs different rows and is
no such mistake. No test had a self-referencing key: a version that dropped the same-column condition doubted the
manager join (outside tester, session 56, mutant J03).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {"employees": ("id", "name", "manager_id")}
LINKS = (Link("employees", "manager_id", "employees", "id"),)


def test_a_join_through_the_tables_own_foreign_key_is_left_alone():
    sql = "SELECT T1.name, T2.name FROM employees AS T1 JOIN employees AS T2 ON T1.id = T2.manager_id"
    assert logic_doubts(sql, "Who manages whom?", COLUMNS, LINKS) == []


def test_a_join_on_the_key_itself_is_doubted():
    sql = "SELECT T1.name FROM employees AS T1 JOIN employees AS T2 ON T1.id = T2.id"
    found = logic_doubts(sql, "Who manages whom?", COLUMNS, LINKS)
    assert len(found) == 1 and "joins employees to itself on its key id" in found[0]
