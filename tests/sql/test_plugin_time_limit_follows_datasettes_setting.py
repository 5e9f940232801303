"""The plugin's statements run under its own sql_time_limit_ms if set, else Datasette's, and never longer than
Datasette's (sql/execute.py, time_limit_for): an admin who lowers Datasette's sql_time_limit_ms lowers the plugin's
too, and one who raises it gives the plugin's statements that long. The oracle is Datasette's own answer,
datasette.setting("sql_time_limit_ms"), for generated settings; and, end to end, the time an endless statement sent
to the query API really runs (a lower bound: load on the machine only makes it longer)."""

import random
import time
from urllib.parse import quote

import pytest
from datasette.app import Datasette

from datasette_llm.sql.execute import time_limit_for


def test_the_limit_is_datasettes_or_the_plugins_lower_one_for_generated_settings():
    rng = random.Random(4702)
    for _ in range(60):
        datasette = Datasette([], settings={"sql_time_limit_ms": rng.randint(1, 60_000)})
        datasettes = datasette.setting("sql_time_limit_ms")
        configured = rng.choice([None, rng.randint(1, 90_000)])
        expected = min(configured, datasettes) if configured else datasettes
        assert time_limit_for(datasette, configured) == expected, (datasettes, configured)


@pytest.mark.asyncio
async def test_an_endless_statement_runs_until_datasettes_own_limit(tmp_path):
    import sqlite3

    path = tmp_path / "data.db"
    sqlite3.connect(path).executescript("create table items (id integer primary key); insert into items values (1);")
    datasette = Datasette([str(path)], settings={"sql_time_limit_ms": 3000})
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    started = time.monotonic()
    response = await datasette.client.get(f"/-/llm/query.json?database=data&sql={quote(endless)}")
    seconds = time.monotonic() - started
    assert response.status_code == 400, response.text
    assert "3000 ms" in response.text, response.text
    assert seconds >= 2.7, f"stopped after {seconds:.2f} s with Datasette's limit at 3 s"
