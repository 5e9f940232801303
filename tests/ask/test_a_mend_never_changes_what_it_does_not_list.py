"""A mend changes what it lists and nothing else. Mends write the query back from sqlglot's tree, which writes some
casts as another type: after the fix "accountname → account_name", `cast(amount as decimal)` ran as
`CAST(amount AS REAL)` and the stored text '9007199254740993' was shown as 9007199254740992.0 (an outside tester,
session 58). Such a query is not mended: it goes back to the model with SQLite's error, and what runs is what the
model wrote.

Oracle: sqlite3 runs the SQL the result says ran, and the model's own casts are in it as written."""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.written_back import laid_out, written_back_as_is


@pytest.mark.asyncio
@pytest.mark.parametrize("cast", ["decimal", "numeric", "date", "boolean", "string"])
async def test_a_query_sqlglot_writes_as_another_is_not_mended(tmp_path, cast):
    path = tmp_path / "ledger.db"
    con = sqlite3.connect(path)
    con.execute("create table ledger (id integer primary key, account_name text, amount text)")
    rows = [(1, "A", "9007199254740993"), (2, "B", "1.50"), (3, "C", "2024-03-05")]
    con.executemany("insert into ledger values (?, ?, ?)", rows)
    con.commit()
    written = f"select accountname, cast(amount as {cast}) as v from ledger order by id"
    again = written.replace("accountname", "account_name")
    model = ScriptedModel([sql_reply(written), sql_reply(again), "Done."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, "ledger", "What is each account's amount?", model=model)
    fixes = [fix for attempt in result.attempts for fix in attempt.fixes]
    assert fixes == [], fixes
    assert f"cast(amount as {cast})" in result.sql.lower(), result.sql
    typed = lambda rows: [tuple((type(v).__name__, v) for v in row) for row in rows]  # noqa: E731
    assert typed(result.rows) == typed(con.execute(again).fetchall())
    con.close()


@pytest.mark.asyncio
async def test_a_query_sqlglot_writes_back_as_itself_is_still_mended(tmp_path):
    path = tmp_path / "ledger.db"
    con = sqlite3.connect(path)
    con.execute("create table ledger (id integer primary key, account_name text, amount real)")
    con.execute("insert into ledger values (1, 'A', 1.5)")
    con.commit()
    con.close()
    written = "select accountname, cast(amount as integer) as v from ledger where id not in (2) order by id"
    model = ScriptedModel([sql_reply(written), "Done."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, "ledger", "What is each account's amount?", model=model)
    assert [fix for attempt in result.attempts for fix in attempt.fixes] == ["accountname → account_name"]
    assert list(result.rows) == [("A", 1)]


# Differential: sqlglot's text of a statement, run by SQLite, against the statement itself. Whenever the two
# return other rows, the statement is not written back as itself, and its layout is the statement as written.
STATEMENTS = [
    f"select {expression} from t order by id"
    for expression in (
        "cast(v as decimal)",
        "cast(v as numeric)",
        "cast(v as number)",
        "cast(v as decimal(10,2))",
        "cast(v as date)",
        "cast(v as datetime)",
        "cast(v as timestamp)",
        "cast(v as time)",
        "cast(v as boolean)",
        "cast(v as bool)",
        "cast(v as long)",
        "cast(v as string)",
        "cast(v as binary)",
        "cast(v as text)",
        "cast(v as integer)",
        "cast(v as real)",
        "mod(id, 3)",
        "v",
        "v not in ('1.50')",
        "v != '1.50'",
        "v not like '1%'",
        "v not between '1' and '2'",
    )
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_a_statement_is_written_back_as_itself_only_when_sqlite_reads_both_alike(sql):
    con = sqlite3.connect(":memory:")
    con.execute("create table t (id integer primary key, v text)")
    con.executemany("insert into t (v) values (?)", [("9007199254740993",), ("1.50",), ("2024-03-05",), ("007",)])
    typed = lambda rows: [tuple((type(v).__name__, v) for v in row) for row in rows]  # noqa: E731
    itself = typed(con.execute(sql).fetchall())
    if written_back_as_is(sql):
        from datasette_llm.sql.parsing import parse_one

        assert typed(con.execute(parse_one(sql).sql(dialect="sqlite")).fetchall()) == itself
    assert typed(con.execute(laid_out(sql)).fetchall()) == itself
