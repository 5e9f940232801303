"""A search hit shows its key and its first columns within 30 columns and 3,000 characters (session 59). Oracle,
SQLite's own row, for tables whose key is last and whose columns differ in width: the key is shown; the columns
come in the table's order; the others shown are the table's first ones (none after one left out); at most 30
columns; the rest counted (outside tester 60a: mutants skipping a wide column for later narrow ones, reading 30
columns besides the key, not keeping the key first and not keeping the table's order all survived)."""

import sqlite3

import pytest
from datasette.app import Datasette
from search_helpers import use_fake_model


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.asyncio
@pytest.mark.parametrize("widths", [(1,) * 60, (5, 2900, 1, 1, 1) + (1,) * 40, (280,) * 20])
async def test_a_hit_shows_its_key_and_the_first_columns_in_order(tmp_path, fake_model, widths):
    """Key shown; table order; the non-key columns shown are the first ones; at most 30; the rest counted."""
    from datasette_llm.embeddings import embed_table
    from datasette_llm.embeddings.hits import HIT_COLUMNS

    path = tmp_path / "db.db"
    names = [f"c{i}" for i in range(len(widths))]
    conn = sqlite3.connect(path)
    conn.execute(f"create table t ({', '.join(f'{n} text' for n in names)}, id integer primary key)")
    rows = [["lorem " + "v" * w if i == 0 else "w" * w for i, w in enumerate(widths)] + [r] for r in range(1, 4)]
    conn.executemany(f"insert into t values ({', '.join('?' for _ in range(len(widths) + 1))})", rows)
    conn.commit()
    conn.close()
    embed_table(path, "t", sql="select id, c0 from t", model=fake_model)
    response = await Datasette([str(path)]).client.get(
        "/-/semantic-search", params={"q": "lorem", "limit": 3, "mode": "semantic"}
    )
    hits = response.json()["hits"]
    assert hits
    table = names + ["id"]
    for hit in hits:
        shown = list(hit["row"])
        assert "id" in shown
        assert shown == [c for c in table if c in shown], "the table's order"
        others = [c for c in shown if c != "id"]
        assert others == names[: len(others)], "the first columns, none after one left out"
        assert len(shown) <= HIT_COLUMNS
        assert hit["columns_left_out"] == len(table) - len(shown)
