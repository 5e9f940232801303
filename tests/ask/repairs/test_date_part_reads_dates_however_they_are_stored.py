"""The date-part mend (`published_year` -> the year of `published_at`) reads the dates however the column stores
them: ISO text, Unix seconds (integer, real, or as text) or a Julian day. With a bare strftime, Unix seconds read
NULL in every row and "How many were published in 2021?" counted 0, accepted at once with the mend listed (an
outside tester, session 55). Oracle: Python's own reading of each stored value."""

import datetime
import random
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

from datasette_llm.ask.pipeline import ask

pytestmark = pytest.mark.skipif(sqlite3.sqlite_version_info < (3, 38), reason="strftime's 'auto' needs SQLite 3.38")

STORED = {
    "iso date": lambda moment: moment.strftime("%Y-%m-%d"),
    "iso datetime": lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S"),
    "unix seconds": lambda moment: int(moment.timestamp()),
    "unix seconds, real": lambda moment: moment.timestamp() + 0.5,
    "unix seconds, text": lambda moment: str(int(moment.timestamp())),
    "julian day": lambda moment: moment.timestamp() / 86400 + 2440587.5,
}


@pytest.mark.asyncio
@pytest.mark.parametrize("stored", sorted(STORED))
async def test_the_year_of_each_row_is_the_year_it_stores(tmp_path, stored):
    rng = random.Random(stored)
    moments = [
        datetime.datetime(rng.randint(2018, 2023), rng.randint(1, 12), rng.randint(1, 28), 12, tzinfo=datetime.UTC)
        for _ in range(60)
    ]
    path = tmp_path / "releases.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table releases (id integer primary key, name text, published_at)")
        conn.executemany(
            "insert into releases (name, published_at) values (?, ?)",
            [(f"r{n}", STORED[stored](moment)) for n, moment in enumerate(moments)],
        )
    conn.close()
    model = ScriptedModel(
        [sql_reply("select count(*) from releases where published_year = 2021"), "There were some.", "Some."]
    )
    result = await ask(Datasette([str(path)]), "releases", "How many were published in 2021?", model=model)
    assert result.rows == ((sum(1 for moment in moments if moment.year == 2021),),)
    assert any("published_year → CAST(strftime('%Y', published_at, 'auto') AS INTEGER)" in n for n in result.notes)
    assert not any("is NULL for" in n for n in result.notes)  # every stored form read: no warning of dates unread


@pytest.mark.asyncio
async def test_dates_no_form_reads_are_warned_of_after_the_mend(tmp_path):
    """'03/05/2024' is no date SQLite reads: the mended count leaves those rows out, and says so (session 55 left it
    counting 0 without a word)."""
    path = tmp_path / "releases.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table releases (id integer primary key, name text, published_at)")
        conn.executemany(
            "insert into releases (name, published_at) values (?, ?)",
            [("a", "03/05/2021"), ("b", "04/07/2021"), ("c", "2021-06-01"), ("d", None)],
        )
    conn.close()
    model = ScriptedModel(
        [sql_reply("select count(*) from releases where published_year = 2021"), "There was 1.", "1."]
    )
    result = await ask(Datasette([str(path)]), "releases", "How many were published in 2021?", model=model)
    assert result.rows == ((1,),)  # what the database returned for the mended query
    assert (
        "warning: STRFTIME('%Y', published_at, 'auto') is NULL for 2 values of published_at (such as '03/05/2021')"
        in "\n".join(result.notes)
    ), result.notes
