"""A ranking by one joined row for a total (logic_checks/joined_tables.py ranked_by_one_joined_row) is doubted only
when nothing is grouped and the sort has one key: the query it offers groups by the owner and sums that one key.
A grouped query or a sort on two keys is another query, and the offered rewrite would not fit it. No test had
these: versions that dropped either condition survived (outside tester, session 56, mutants J17, J21).
"""

import pytest

from datasette_llm.ask.repairs.logic_checks import logic_doubts
from datasette_llm.sql.join_links import Link

pytestmark = pytest.mark.no_datasette

COLUMNS = {"visitor": ("ID", "Name"), "visit": ("visit_ID", "visitor_ID", "Total_spent")}
LINKS = (Link("visit", "visitor_ID", "visitor", "ID"),)
QUESTION = "Which visitor spent the most in total?"
JOINED = "SELECT T1.Name FROM visitor AS T1 JOIN visit AS T2 ON T1.ID = T2.visitor_ID"


def ranked(sql):
    return [d for d in logic_doubts(sql, QUESTION, COLUMNS, LINKS) if "ranks single visit rows" in d]


def test_one_key_ungrouped_is_doubted():
    assert len(ranked(f"{JOINED} ORDER BY T2.Total_spent DESC LIMIT 1")) == 1


@pytest.mark.parametrize(
    "tail",
    [
        "GROUP BY T1.ID ORDER BY T2.Total_spent DESC LIMIT 1",
        "ORDER BY T2.Total_spent DESC, T1.Name LIMIT 1",
    ],
)
def test_grouped_or_two_keys_is_left_alone(tail):
    assert ranked(f"{JOINED} {tail}") == []
