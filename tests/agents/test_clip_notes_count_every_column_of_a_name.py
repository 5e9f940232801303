"""When not even one row fits `query_max_chars`, the query API clips long cells and says how many: columns of one
name (a join's `u.name, r.name`, two aliases alike) were keyed by the name alone, so the account told of the last
such column's cells only (`select a as v, b as v`: 4 cells cut, "in 1 row"; an outside tester, session 53). The
oracle: the cells of the rows returned that differ from SQLite's own, read directly from the file.
"""

import sqlite3

import pytest
from agents_helpers import datasette_for, mcp_tool

from datasette_llm.sql.clipping import CLIP_MARKER

LONG = "y" * 3_000


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key, a text, b text)")
    conn.executemany("insert into t values (?, ?, ?)", [(1, LONG, LONG), (2, LONG, "short"), (3, LONG, "short")])
    conn.commit()
    conn.close()
    return path


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sql",
    [
        "select a as v, b as v from t order by id",
        "select a, b as a, a from t order by id",
        "select a as v, b as w from t order by id",
    ],
)
async def test_every_cut_cell_is_counted_under_its_name(db_path, sql):
    conn = sqlite3.connect(db_path)
    cursor = conn.execute(sql)
    names, expected = [d[0] for d in cursor.description], [list(row) for row in cursor]
    conn.close()
    ds = datasette_for(db_path, plugin_config={"query_max_chars": 4_000})
    response = await ds.client.get("/-/llm/query.json", params={"database": "db", "sql": sql})
    assert response.status_code == 200, response.text[:300]
    mcp = (await mcp_tool(ds, "query", {"database": "db", "sql": sql}))["structuredContent"]
    for data in (response.json(), mcp):
        assert data["columns"] == names and data["rows"], data["notes"]
        cut: dict[str, int] = {}
        for row, want in zip(data["rows"], expected):
            for name, value, whole in zip(names, row, want):
                if value != whole:
                    assert value.endswith(CLIP_MARKER)
                    cut[name] = cut.get(name, 0) + 1
        assert cut and {name: c["cells"] for name, c in data["clipped"].items()} == cut, (cut, data["clipped"])
        for name, count in cut.items():
            assert any(f"column {name} clipped to " in note and f" {count} " in note for note in data["notes"]), (
                name,
                count,
                data["notes"],
            )
