"""SQLite matches schema names in any ASCII case, so `MAIN.repos`, `"Main".repos` and `[mAIN].repos` are the main
database's table: a statement that reads them runs with SQLite's rows, however little of the table it reads (a
read of no column, `count(*)` or `EXISTS`, reaches the authorizer with the schema name as written; an outside
tester, session 50, saw every such statement refused unless `main` was in lower case). A table the actor may not
see stays refused in every spelling.

Generated: schema spellings x statement shapes through `/-/llm/query.json`; the oracle is SQLite's own rows.
"""

import sqlite3

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for

SPELLINGS = ["main", "MAIN", "Main", "mAiN", '"MAIN"', "[Main]", "`maIN`"]
SHAPES = [
    "select id from {s}.{t} order by id",
    "select count(*) from {s}.{t}",
    "select 1 as one from {s}.{t}",
    "select exists (select 1 from {s}.{t}) as e",
    "select rowid from {s}.{t} order by rowid",
]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("main_case") / "db.db", big=False)


@pytest.mark.asyncio
@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_main_in_any_case_reads_the_main_table(db_path, spelling):
    ds = datasette_for(db_path, HIDE_SECRET)
    conn = sqlite3.connect(db_path)
    for shape in SHAPES:
        sql = shape.format(s=spelling, t="repos")
        rows = [list(row) for row in conn.execute(sql)]
        response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
        assert response.status_code == 200, (sql, response.text)
        assert response.json()["rows"] == rows, sql
    conn.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_a_hidden_table_under_main_in_any_case_stays_refused(db_path, spelling):
    ds = datasette_for(db_path, HIDE_SECRET)
    conn = sqlite3.connect(db_path)
    codes = {str(code) for (code,) in conn.execute("select code from secret")}
    conn.close()
    for shape in [*SHAPES, "select code from {s}.{t}", "select * from {s}.{t}"]:
        sql = shape.format(s=spelling, t="secret")
        response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
        assert response.status_code in (400, 403), (sql, response.text)
        assert not any(code in response.text for code in codes), sql
