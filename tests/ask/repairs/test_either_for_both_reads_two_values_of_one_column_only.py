"""Either taken for both (logic_checks/both.py) reads `x IN (a, b)` or `x = a OR x = b`: two or more values of one
column, kept as they are (not negated). Other shapes the question's "both" may sit beside are not that mistake:
one value, two columns, a literal tested against columns, NOT IN; and a chain of three ORs is one doubt, not one
per pair. No test had these: versions reading any of them (outside tester, session 56, mutants B07, B08, B09, B10,
B16) survived.
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts

pytestmark = pytest.mark.no_datasette

COLUMNS = {"films": ("id", "title", "year", "genre", "remake_year")}
BOTH = "Which films came out in both 2014 and 2015?"


def doubts(where, question=BOTH):
    return [d for d in logic_doubts(f"SELECT title FROM films WHERE {where}", question, COLUMNS, ()) if "either" in d]


def test_two_values_of_one_column_are_doubted():
    assert len(doubts("year IN (2014, 2015)")) == 1
    assert len(doubts("year = 2014 OR year = 2015")) == 1


def test_one_value_is_not_either_of_two():
    assert doubts("year IN (2014)") == []


def test_values_of_two_columns_are_not_either_of_two():
    assert doubts("year = 2014 OR remake_year = 2015") == []
    assert doubts("2014 IN (year, remake_year)") == []


def test_a_negated_list_is_not_either_of_two():
    assert doubts("year NOT IN (2014, 2015)") == []


def test_three_values_in_a_chain_of_ors_are_one_doubt():
    found = doubts("year = 2014 OR year = 2015 OR year = 2016", "Which films came out in both 2014 and 2015 and 2016?")
    assert len(found) == 1
    assert found[0].startswith("year = 2014 OR year = 2015 OR year = 2016 keeps rows that match either value")
