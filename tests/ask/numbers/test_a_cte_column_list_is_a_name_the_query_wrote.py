"""A CTE's column list names the result's columns as an alias does: `with s(pop_2021) as (select sum(pop_2020) ...)
select pop_2021 from s` wrote the name `pop_2021` over 2020's sum, yet the header kept it as a name a table gave,
and "in 2021" passed the numbers check (outside tester 60a; session 59 read aliases at any depth but not these).
Oracle: the names written in the query's text."""

import pytest

from datasette_llm.ask.numbers import _names_the_query_wrote

CASES = [
    ("with s(pop_2021) as (select sum(pop_2020) from t) select pop_2021 from s", "pop_2021"),
    ("with s(total_2023) as (select count(*) from t) select * from s", "total_2023"),
    ("with a(x) as (select 1), s(pop_2021) as (values (5)) select pop_2021 from s, a", "pop_2021"),
]


@pytest.mark.parametrize(("sql", "name"), CASES)
def test_a_cte_column_list_names_a_column_the_query_wrote(sql, name):
    """Every name a CTE's column list gives is a name the query wrote."""
    assert name in _names_the_query_wrote(sql)
