"""An outside tester, session 59: shown_with_table_names reads only the outer SELECT's aliases (numbers.py
_names_the_query_wrote). An alias written one level down, in a CTE or a subquery in FROM, reaches the header just as
well: `sum(pop_2020) as pop_2021` inside `with s as (...)` let "In 2021 the total population was 3000." pass,
and 3000 is 2020's total. So does a compound query whose later SELECT fills the first one's column with another.
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sql",
    [
        "with s as (select sum(pop_2020) as pop_2021 from counties) select pop_2021 from s",
        "select pop_2021 from (select sum(pop_2020) as pop_2021 from counties)",
        "select * from (select sum(pop_2020) as pop_2021 from counties)",
        "select t.pop_2021 from (select sum(pop_2020) as pop_2021 from counties) as t",
        "select pop_2021 from counties where 0 union all select sum(pop_2020) from counties",
    ],
)
async def test_an_alias_below_the_outer_select_shows_no_number(tmp_path, sql):
    path = tmp_path / "pop.db"
    con = sqlite3.connect(path)
    con.execute("create table counties (id integer primary key, county text, pop_2020 integer, pop_2021 integer)")
    con.executemany("insert into counties values (?, ?, ?, ?)", [(1, "Ash", 1000, 1100), (2, "Elm", 2000, 2300)])
    con.commit()
    con.close()
    model = ScriptedModel([sql_reply(sql), "In 2021 the total population was 3000."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, "pop", "What was the population last year?", model=model)
    assert [tuple(row) for row in result.rows] == [(3000,)]
    assert any(w.startswith("The answer mentions") and "2021" in w for w in result.warnings), result.warnings
