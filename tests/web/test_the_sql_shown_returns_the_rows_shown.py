"""The SQL the Ask page shows (`sql_formatted`), which "Edit this SQL" opens and "Save as query" keeps, returns the
rows the Ask result shows: laid out for reading, never another query. sqlglot's re-generation turned CAST(x AS
DECIMAL) into CAST(x AS REAL) (9007199254740993 shown as 9007199254740992.0 by the saved query), CAST(x AS DATE)
into DATE(x) (2024 became '2024-03-05') and CAST(x AS STRING) into CAST(x AS TEXT) (an outside tester, session 58).

Oracle: both texts run with sqlite3 on the same file, cells compared with their types."""

import sqlite3

import pytest
from ask_helpers import RecordingEmbedder, sql_reply, use_scripted_models
from datasette.app import Datasette

CASTS = [
    "decimal",
    "decimal(10,2)",
    "numeric",
    "number",
    "boolean",
    "long",
    "string",
    "binary",
    "date",
    "datetime",
    "timestamp",
    "time",
]


@pytest.mark.asyncio
@pytest.mark.parametrize("cast", CASTS)
async def test_the_formatted_sql_returns_what_the_sql_that_ran_returned(tmp_path, monkeypatch, cast):
    path = tmp_path / "ledger.db"
    con = sqlite3.connect(path)
    con.execute("create table ledger (id integer primary key, account text, amount text, booked text)")
    con.executemany(
        "insert into ledger values (?, ?, ?, ?)",
        [(1, "A", "9007199254740993", "2024-03-05"), (2, "B", "12", "2023-12-31"), (3, "C", "1.5", "2024-01-05")],
    )
    con.commit()
    column = "booked" if cast in ("date", "datetime", "timestamp", "time") else "amount"
    sql = f"select account, cast({column} as {cast}) as v from ledger order by id"
    use_scripted_models(monkeypatch, RecordingEmbedder(), [sql_reply(sql), "Done."])
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    data = (await ds.client.post("/ledger/-/ask.json", json={"question": "What are the amounts?"})).json()
    typed = lambda rows: [tuple((type(v).__name__, v) for v in row) for row in rows]  # noqa: E731
    ran = typed(con.execute(data["sql"]).fetchall())
    shown = typed(con.execute(data["sql_formatted"]).fetchall())
    con.close()
    assert shown == ran, (data["sql"], data["sql_formatted"])
