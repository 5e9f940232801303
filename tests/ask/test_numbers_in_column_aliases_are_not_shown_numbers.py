"""Ask end to end (a real Datasette, the pipeline, a scripted model): a number the model writes in its own column
alias is no number the database returned, so an answer stating it is flagged (an outside tester, session 58: "13
releases in 2023" from `count(*) as releases_in_2023 ... where published like '2022%'` passed unwarned).

Generated: the alias carries a number no row holds; the oracle is sqlite3's own rows."""

import random
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(4))
async def test_a_number_only_a_column_alias_holds_is_flagged(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / f"rel{seed}.db"
    con = sqlite3.connect(path)
    con.execute("create table releases (id integer primary key, repo text, published text)")
    for i in range(rng.randint(3, 30)):
        con.execute("insert into releases values (?, ?, ?)", (i + 1, f"r{i % 3}", f"{2020 + i % 4}-01-0{1 + i % 9}"))
    con.commit()
    invented = rng.randint(100_000, 999_999)
    sql = f"select count(*) as total_{invented} from releases"
    rows = con.execute(sql).fetchall()
    con.close()
    assert all(str(invented) not in str(value) for row in rows for value in row)
    model = ScriptedModel([sql_reply(sql), f"There are {rows[0][0]} releases out of {invented}."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, f"rel{seed}", "How many releases are there?", model=model)
    assert str(invented) in model.calls[1][1]["content"]  # in the header the model read, in no row
    assert any(w.startswith("The answer mentions") and str(invented) in w for w in result.warnings), result.warnings
    assert not any(f"{rows[0][0]}," in w or f" {rows[0][0]} " in w for w in result.warnings if "mentions" in w)


@pytest.mark.asyncio
async def test_a_number_in_a_column_name_the_table_gave_is_shown(tmp_path):
    """The counterpart: a column the database named `population_2020` shows 2020 to the model as data does."""
    path = tmp_path / "towns.db"
    con = sqlite3.connect(path)
    con.execute("create table towns (name text, population_2020 integer)")
    con.executemany("insert into towns values (?, ?)", [("Ayr", 46_000), ("Oban", 8_000)])
    con.commit()
    con.close()
    sql = "select name, population_2020 from towns order by name"
    model = ScriptedModel([sql_reply(sql), "In 2020 Ayr had 46000 people and Oban 8000."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, "towns", "How many people live in each town?", model=model)
    assert not any(w.startswith("The answer mentions") for w in result.warnings), result.warnings
