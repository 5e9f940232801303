"""An outside tester, session 59. Two ways a query other than the model's is shown or run without a word:

1. JOIN_LINKS (mend.py check_and_fix, after the guard accepts the query) relinks an ON clause that links nothing and
   writes the whole query back from sqlglot's tree, without asking written_back_as_is: `cast(amount as decimal)`
   ran as `CAST(amount AS REAL)` and 9007199254740993 was shown as 9007199254740992.0; the fixes listed the JOIN.
2. written_back.tokens() counts NOTs but not where they stand: sqlglot writes `a NOT IN (..) = 5` as
   `NOT a IN (..) = 5`, which SQLite reads as NOT ((a IN (..)) = 5); laid_out shows it and every mend may run it.

Oracle: sqlite3 runs the statement as written.
"""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.parsing import parse_one
from datasette_llm.sql.written_back import laid_out, written_back_as_is


@pytest.mark.asyncio
@pytest.mark.parametrize("expression", ["cast(orders.amount as decimal)", "mod(orders.amount, 7)"])
async def test_a_relinked_join_leaves_the_rest_of_the_query_as_written(tmp_path, expression):
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.executescript(
        """
        create table customers (id integer primary key, name text);
        create table orders (id integer primary key, customer_id integer references customers(id), amount text);
        insert into customers values (1, 'Ann');
        insert into orders values (1, 1, '9007199254740993'), (2, 1, '7.5');
        """
    )
    con.commit()
    written = (
        f"select customers.name, {expression} as v from customers "
        "join orders on customers.id = customers.id order by orders.id"
    )
    model = ScriptedModel([sql_reply(written)] * 8 + ["Done."] * 4)  # asked again while the JOIN links nothing
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    result = await ask(ds, "shop", "What did each customer spend?", model=model)
    relinked = written.replace("customers.id = customers.id", "customers.id = orders.customer_id")
    typed = lambda rows: [tuple((type(v).__name__, v) for v in row) for row in rows]  # noqa: E731
    expected = typed(con.execute(relinked).fetchall())
    con.close()
    assert result.sql is not None and result.rows
    assert expression in result.sql.lower() or not [f for a in result.attempts for f in a.fixes], result.sql
    if result.rows:
        assert typed(result.rows) in (expected, typed(sqlite3.connect(path).execute(written).fetchall()))


MOVED_NOT = [
    "SELECT id, grade NOT IN (1, 2) = 5 FROM t ORDER BY id",
    "SELECT id FROM t WHERE score > 50 NOT BETWEEN 0 AND 0 ORDER BY id",
    "SELECT id, grade NOT BETWEEN 1 AND 2 <> 2 FROM t ORDER BY id",
    "SELECT id, grade NOT GLOB '1*' = 5 FROM t ORDER BY id",
    "SELECT id, grade NOT IN (SELECT score FROM t) = 5 FROM t ORDER BY id",
]


@pytest.mark.parametrize("sql", MOVED_NOT)
def test_a_not_sqlglot_writes_elsewhere_is_not_the_same_query(sql):
    con = sqlite3.connect(":memory:")
    con.executescript(
        "create table t (id integer primary key, grade integer, score integer);"
        "insert into t values (1, 1, 80), (2, 2, 40), (3, 3, 95);"
    )
    itself = con.execute(sql).fetchall()
    assert con.execute(laid_out(sql)).fetchall() == itself
    if written_back_as_is(sql):
        assert con.execute(parse_one(sql).sql(dialect="sqlite")).fetchall() == itself


def test_a_number_sqlglot_writes_in_other_digits_is_laid_out_as_written():
    """`1_000`: sqlglot's token text is 1000 on both sides; SQLite before 3.46 refuses the statement as written."""
    sql = "SELECT x * 1_000 FROM t"
    assert laid_out(sql) == sql
    assert not written_back_as_is(sql)
