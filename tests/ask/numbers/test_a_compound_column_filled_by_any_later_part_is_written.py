"""A compound query's column is named by its first SELECT; a later SELECT that puts anything but that column under it
makes the name one the query wrote (session 59). Any later part is enough, not only when every later part does
(outside tester 60a: a mutant reading `all` for `any` survived). Oracle: the query's own text."""

import pytest

from datasette_llm.ask.numbers import _names_the_query_wrote

CASES = [
    "select pop_2021 from t union all select pop_2021 from t2 union all select sum(pop_2020) from t",
    "select pop_2021 from t union all select sum(pop_2020) from t union all select pop_2021 from t2",
    "select pop_2021 from t union select pop_2021 from t2 union select pop_2021 from t3 except select 2021",
]


@pytest.mark.parametrize("sql", CASES)
def test_one_later_part_filling_the_column_with_something_else_makes_it_written(sql):
    """The first SELECT's name is written when any one later SELECT puts another value under it."""
    assert "pop_2021" in _names_the_query_wrote(sql)


def test_a_column_every_part_fills_with_itself_is_the_tables():
    """The name stays the table's when every part puts that very column under it."""
    sql = "select pop_2021 from t union all select pop_2021 from t2 union all select POP_2021 from t3"
    assert "pop_2021" not in _names_the_query_wrote(sql)
