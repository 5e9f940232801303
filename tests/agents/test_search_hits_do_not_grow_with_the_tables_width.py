"""A semantic-search answer does not grow with the width of the searched table (an outside tester, session 59).

Each hit carries its row: cells are clipped to 300 characters, but every column came back with its name whole, so
the answer of one search grew linearly with the table's width (limit=100 over 100, 400 and 1,600 columns:
3.3 MB, 13.1 MB and 52.5 MB of JSON, the table's search page 55 MB, the server +380 MB for one anonymous request)
and MCP `semantic_search`, documented to fit `query_max_chars`, kept its first hit whole (522,033 characters
against a cap of 20,000). The query API caps a result at 100 columns and `query_max_chars`.

Growth oracle, no guess at the fix: the same rows searched in a table 4 times wider must not answer 4 times more;
MCP's text stays within `query_max_chars` (with room for its envelope) whatever the width.
"""

import json
import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette
from search_helpers import use_fake_model

ROWS = 30
ENVELOPE = 2_000  # the MCP result's own fields beside the hits (q, mode, model, note, timings, ...)


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def wide_db(path, columns: int, model):
    from datasette_llm.embeddings import embed_table

    conn = sqlite3.connect(path)
    names = [f"c{i}" for i in range(columns)]
    conn.execute("create table wide (id integer primary key, " + ", ".join(f"{n} text" for n in names) + ")")
    conn.executemany(
        f"insert into wide values (?{',?' * columns})",
        [(r, *([f"lorem word{r} " + "v" * 400] * columns)) for r in range(ROWS)],
    )
    conn.commit()
    conn.close()
    embed_table(path, "wide", sql="select id, c0 from wide", model=model)
    return path


async def answers(path):
    ds = Datasette([str(path)])
    args = {"q": "lorem", "limit": ROWS, "mode": "semantic"}
    route = await ds.client.get("/-/semantic-search", params=args)
    assert route.status_code == 200, route.text[:300]
    page = await ds.client.get(f"/{path.stem}/wide/-/semantic-search", params=args)
    assert page.status_code == 200, page.text[:300]
    result = await mcp_tool(ds, "semantic_search", args)
    assert result["isError"] is False, result["content"][0]["text"][:300]
    return len(route.content), len(page.content), result["content"][0]["text"]


@pytest.mark.asyncio
async def test_a_search_answer_does_not_grow_with_the_tables_width(tmp_path, fake_model):
    narrow = await answers(wide_db(tmp_path / "narrow.db", 50, fake_model))
    wide = await answers(wide_db(tmp_path / "wide.db", 200, fake_model))
    assert wide[0] < 2 * narrow[0], f"/-/semantic-search: {narrow[0]:,} B over 50 columns, {wide[0]:,} B over 200"
    assert wide[1] < 2 * narrow[1], f"search page: {narrow[1]:,} B over 50 columns, {wide[1]:,} B over 200"


@pytest.mark.asyncio
async def test_mcp_semantic_search_fits_query_max_chars_even_for_its_first_hit(tmp_path, fake_model):
    *_, text = await answers(wide_db(tmp_path / "wide.db", 200, fake_model))
    data = json.loads(text)
    assert data["hits"], "a search that matched must show something"
    assert len(text) <= 20_000 + ENVELOPE, f"MCP semantic_search answered {len(text):,} characters (cap 20,000)"


@pytest.mark.asyncio
@pytest.mark.parametrize("columns", [3, 29, 30, 31, 200])
async def test_a_hit_shows_its_key_and_first_columns_and_counts_the_rest(tmp_path, fake_model, columns):
    """Oracle: SQLite's own row. A hit's row is the key and the table's first columns, in order, each value as
    SQLite holds it (clipped past 300 characters), within 30 columns and 3,000 characters of names and values; the
    rest are counted in `columns_left_out`, and a row that fits is shown whole."""
    from datasette_llm.embeddings.hits import CLIP_CHARS, HIT_CHARS, HIT_COLUMNS, clip

    path = wide_db(tmp_path / "wide.db", columns, fake_model)
    response = await Datasette([str(path)]).client.get(
        "/-/semantic-search", params={"q": "lorem", "limit": 5, "mode": "semantic"}
    )
    hits = response.json()["hits"]
    assert hits
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    for hit in hits:
        row = conn.execute("select * from wide where id = ?", hit["pk"]).fetchone()
        names = list(row.keys())
        shown = list(hit["row"])
        assert shown == names[: len(shown)] and shown[0] == "id"
        assert all(hit["row"][name] == clip(row[name]) for name in shown)
        assert hit["columns_left_out"] == len(names) - len(shown)
        size = sum(len(name) + len(str(value)) for name, value in hit["row"].items())
        assert len(shown) <= HIT_COLUMNS and size <= HIT_CHARS
        if len(shown) < len(names) and len(shown) < HIT_COLUMNS:  # the next column would not have fitted
            assert size + len(names[len(shown)]) + len(str(clip(row[names[len(shown)]]))) > HIT_CHARS
    assert CLIP_CHARS < HIT_CHARS
