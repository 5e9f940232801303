"""Voting between sampled queries (sql_vote.py): two results agree when they hold the same rows the same number of
times, in any order, whatever their columns are called; a row twice is not the row once, and the number 1 is not
the text '1'. Failed candidates never vote, however many of them there are, and a tie goes to the first query
written (an outside tester's gaps V02, V03 and V04, session 56)."""

import pytest

from datasette_llm.ask.sql_vote import choose, result_signature
from datasette_llm.sql.execute import QueryResult

pytestmark = pytest.mark.no_datasette


def result(rows, columns=("a", "b")):
    return QueryResult(sql="select 1", columns=columns, rows=tuple(rows), hit_row_cap=False, seconds=0.0)


def test_the_same_rows_in_another_order_or_under_other_names_agree():
    assert result_signature(result([(1, "x"), (2, "y")])) == result_signature(result([(2, "y"), (1, "x")], ("c", "d")))


def test_a_row_twice_is_not_the_row_once():
    assert result_signature(result([(1, "x"), (1, "x")])) != result_signature(result([(1, "x")]))
    assert result_signature(result([(1, "x"), (1, "x"), (2, "y")])) != result_signature(
        result([(1, "x"), (2, "y"), (2, "y")])
    )


def test_a_number_is_not_its_text():
    assert result_signature(result([(1, "x")])) != result_signature(result([("1", "x")]))
    assert result_signature(result([(None, "x")])) != result_signature(result([("None", "x")]))
    assert result_signature(result([(1.0, "x")])) != result_signature(result([(1, "x")]))


@pytest.mark.parametrize(
    "signatures,expected",
    [
        ([None, None, "a"], (2, 1)),  # more failures than votes for the one result: failures still do not vote
        ([None, None, None, "a", "b", "b"], (4, 2)),
        (["a", None, None, None, "b"], (0, 1)),
        ([None, "b", "a", None], (1, 1)),  # a tie goes to the first query that ran
    ],
)
def test_failed_candidates_never_vote(signatures, expected):
    assert choose(signatures) == expected
