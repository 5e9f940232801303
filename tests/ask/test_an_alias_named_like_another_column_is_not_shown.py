"""A header name counts as shown only when the column under it is that table column: `sum(pop_2020) as pop_2021`
over a pivoted table let "In 2021 the total population was 3000." pass though 3000 is 2020's total (an outside
tester, session 58, after the alias fix 241943e). A bare column keeps its name's numbers."""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sql, answer, flagged",
    [
        ("select sum(pop_2020) as pop_2021 from counties", "In 2021 the total population was 3000.", True),
        ("select pop_2020 as pop_2021 from counties where county = 'Ash'", "Ash had 1000 people in 2021.", True),
        ("select county, pop_2021 from counties where county = 'Ash'", "Ash had 1100 people in 2021.", False),
    ],
)
async def test_an_alias_borrowing_another_columns_name_shows_no_number(tmp_path, sql, answer, flagged):
    path = tmp_path / "pop.db"
    con = sqlite3.connect(path)
    con.execute("create table counties (id integer primary key, county text, pop_2020 integer, pop_2021 integer)")
    con.executemany("insert into counties values (?, ?, ?, ?)", [(1, "Ash", 1000, 1100), (2, "Elm", 2000, 2300)])
    con.commit()
    con.close()
    model = ScriptedModel([sql_reply(sql), answer])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, "pop", "What was the population last year?", model=model)
    warned = any(w.startswith("The answer mentions") and "2021" in w for w in result.warnings)
    assert warned == flagged, result.warnings
