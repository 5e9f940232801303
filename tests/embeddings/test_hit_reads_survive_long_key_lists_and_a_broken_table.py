"""Which ranked rows still exist is read in pieces a composite key's OR chain can hold, and a table whose rows
cannot be read leaves only its own hits out (embeddings/hits.py: existing_keys).

- SQLite refuses an expression deeper than 1,000: `(a = ? and b = ?) or ...` for 1,280 keys fails whole. A search
  whose nearest vectors are of rows deleted since the build reads the ranking twice as deep each round; the round
  that reaches the rows left holds more than 1,000 new keys. The oracle: the rows that exist, read with sqlite3.
- A table whose key read fails with an SQLite error other than an interrupt (a damaged page) leaves its rows out
  of the search; the other tables' hits come back with 200, as fetch_hits already does for the rows' read.

Found by mutation testing (an outside tester, session 53): with the key reads in one OR chain, or their SQLite
errors raised, the suite passed.
"""

import sqlite3

import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model

from datasette_llm.embeddings import embed_table


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.asyncio
async def test_rows_left_past_more_than_a_thousand_deleted_ones_are_found(tmp_path, fake_model):
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("create table pairs (a integer, b integer, text text, primary key (a, b))")
    # For "zebra": 1,500 rows ranked first, then 1,000 kept, then 500 last; the first and last are deleted, so
    # the round that reaches the kept ones reads ranks 1,281 to 2,560: 1,280 new keys.
    groups = [("zebra zebra zebra", 1500), ("zebra walrus", 1000), ("walrus tusk seal", 500)]
    rows = [(place // 100, place % 100, text) for place, text in enumerate(t for t, n in groups for _ in range(n))]
    conn.executemany("insert into pairs values (?, ?, ?)", rows)
    conn.commit()
    embed_table(str(path), "pairs", model=fake_model)
    conn.execute("delete from pairs where text <> 'zebra walrus'")  # vectors outlive the rows
    conn.commit()
    alive = {(a, b) for a, b in conn.execute("select a, b from pairs")}
    assert len(alive) == 1000
    conn.close()
    ds = Datasette([str(path)])
    response = await ds.client.get("/-/semantic-search", params={"q": "zebra", "mode": "semantic", "limit": 5})
    assert response.status_code == 200, response.text[:300]
    hits = response.json()["hits"]
    assert len(hits) == 5, response.json()
    assert {tuple(hit["pk"]) for hit in hits} <= alive


@pytest.mark.asyncio
async def test_a_table_whose_keys_cannot_be_read_leaves_only_its_own_hits_out(tmp_path, fake_model, monkeypatch):
    path = tmp_path / "data.db"
    make_table(path, "good", [{"id": n, "text": f"zebra good {n}"} for n in range(3)])
    make_table(path, "broken", [{"id": n, "text": f"zebra broken {n}"} for n in range(3)])
    for table in ("good", "broken"):
        embed_table(str(path), table, model=fake_model)
    from datasette_llm.embeddings import hits

    read = hits._rows_at

    async def damaged(datasette, db, target, *args, **kwargs):
        if target.table == "broken":
            raise sqlite3.DatabaseError("database disk image is malformed")
        return await read(datasette, db, target, *args, **kwargs)

    monkeypatch.setattr(hits, "_rows_at", damaged)
    ds = Datasette([str(path)])
    for mode in ("semantic", "hybrid"):
        response = await ds.client.get("/-/semantic-search", params={"q": "zebra", "mode": mode, "limit": 10})
        assert response.status_code == 200, (mode, response.text[:300])
        found = {(hit["table"], hit["id"]) for hit in response.json()["hits"]}
        assert found == {("good", str(n)) for n in range(3)}, (mode, found)
