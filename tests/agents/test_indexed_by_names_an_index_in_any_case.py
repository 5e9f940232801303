"""`INDEXED BY` names an index as SQLite compares names (ASCII letters in either case are one name, quoted or not):
an index of a visible table, written in any case, is accepted and the query returns SQLite's rows; an index of a
hidden table is refused in every spelling, with the same words as an index that exists nowhere.

A generated family: indexes created with mixed-case names, each spelt in several cases and quotings, through
`/-/llm/query.json` as an actor denied `secret`. The oracle is SQLite itself: the same statement runs on the file
(SQLite would refuse an index name it does not know: "no such index"), and its rows are what the API must return.
(Mutation testing, session 50: comparing the INDEXED BY name unfolded refused `INDEXED BY PUB_N` and no test failed.)
"""

import sqlite3

import pytest
from agents_helpers import HIDE_SECRET, build_db, datasette_for, reads_as_sqlite

VISIBLE_INDEXES = {
    "Repos_Stars_IDX": "select name from repos indexed by {i} where stars > 10 order by name",
    "users_name": "select id from users indexed by {i} where name > 'a' order by id",
}
HIDDEN_INDEXES = {
    "Secret_Owner": "select id from secret indexed by {i} where owner > 0",
    "secret_code": "select id from repos indexed by {i} where stars > 0",
}


def spellings(name):
    variants = {name, name.lower(), name.upper(), name.swapcase(), name[:1].lower() + name[1:].upper()}
    for v in sorted(variants):
        yield v
        yield f'"{v}"'
        yield f"[{v}]"
        yield f"`{v}`"


@pytest.fixture
def path(tmp_path):
    path = build_db(tmp_path / "db.db", big=False)
    conn = sqlite3.connect(path)
    conn.executescript(
        "create index Repos_Stars_IDX on repos(stars); create index users_name on users(name);"
        "create index Secret_Owner on secret(owner); create index secret_code on secret(code);"
    )
    conn.commit()
    return path


@pytest.mark.asyncio
async def test_an_index_of_a_visible_table_in_any_case(path):
    ds = datasette_for(path, HIDE_SECRET)
    conn = sqlite3.connect(path)
    checked = 0
    for index, template in VISIBLE_INDEXES.items():
        for spelt in spellings(index):
            sql = template.format(i=spelt)
            await reads_as_sqlite(ds, conn, sql)  # SQLite knows the index by this spelling
            checked += 1
    assert checked >= 30


@pytest.mark.asyncio
async def test_an_index_of_a_hidden_table_in_no_case(path):
    ds = datasette_for(path, HIDE_SECRET)
    conn = sqlite3.connect(path)
    for index, template in HIDDEN_INDEXES.items():
        for spelt in spellings(index):
            sql = template.format(i=spelt)
            try:
                conn.execute(sql).fetchall()
            except sqlite3.OperationalError:
                pass  # an index of another table: SQLite refuses it too
            response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
            assert response.status_code == 400, (sql, response.text[:300])
            body = response.json()
            assert body["ok"] is False
            text = response.text
            assert "hunter2" not in text
            missing = await ds.client.post(
                "/-/llm/query.json", json={"database": "db", "sql": template.format(i="no_such_index_here")}
            )
            # the same words as an index that exists nowhere (the name aside)
            assert body["kind"] == missing.json()["kind"], (sql, body, missing.json())
