"""Search hits and the rows behind answers from text are read cut to what is shown, by SQLite.

Rows were read whole: 20 search hits of 32 MB each took a request 0.7 GB (four at once 2.1 GB), answers from
text 0.4-1.1 GB and up to two minutes (an outside tester's memory oracle, session 28). The oracle for what is
shown is the whole row read with `select *` and cut in Python, as before; the bound is tracemalloc's peak.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tracemalloc

import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model

from datasette_llm.ask.text import rows as text_rows
from datasette_llm.embeddings import embed_table
from datasette_llm.embeddings.hits import clip


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def _value(rng: random.Random):
    kind = rng.randrange(8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.randrange(-(10**12), 10**12)
    if kind == 2:
        return rng.random() * 1e6
    if kind == 3:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 900)))
    alphabet = "ab c\n\t" + "é😀" * (kind == 4) + "'\"" * (kind == 5)
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 299, 300, 301, 302, 1_000])))


SHAPES = {
    "integer key": "create table t (id integer primary key, a, b, c)",
    "text key": "create table t (id text primary key, a, b, c)",
    "no key": "create table t (a, b, c, id)",
    "two keys": "create table t (id, k text, a, b, c, primary key (id, k))",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("seed", range(3))
def test_a_hit_shows_what_its_whole_row_clipped_shows(tmp_path, fake_model, shape, seed):
    rng = random.Random(seed)
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute(SHAPES[shape])
    columns = [row[1] for row in conn.execute("pragma table_info(t)")]
    for i in range(25):
        row = {c: _value(rng) for c in columns}
        row["id"] = i if shape != "text key" else f"key-{i}"
        if "k" in row:
            row["k"] = f"k{i % 3}"
        row["a"] = f"zebra river {i} " + (row["a"] if isinstance(row["a"], str) else "")
        conn.execute(
            f"insert into t ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})", list(row.values())
        )
    conn.commit()
    conn.close()
    embed_table(str(path), "t", columns=["a"], model=fake_model)
    ds = Datasette([str(path)])

    async def run():
        response = await ds.client.get("/-/semantic-search?q=zebra+river&database=data&table=t&mode=semantic&limit=25")
        assert response.status_code == 200, response.text
        return response.json()["hits"]

    hits = asyncio.run(run())
    assert len(hits) == 25
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    select = "rowid, *" if shape == "no key" else "*"
    whole = {}
    for row in conn.execute(f"select {select} from t"):
        whole[str(row["id"]) if shape != "two keys" else (row["id"], row["k"])] = {k: clip(row[k]) for k in row.keys()}  # noqa: SIM118 (a Row iterates values)
    conn.close()
    for hit in hits:
        key = str(hit["row"]["id"]) if shape != "two keys" else (hit["row"]["id"], hit["row"]["k"])
        assert hit["row"] == whole[key]


def _big_rows(tmp_path, fake_model, n: int, chars: int):
    path = tmp_path / "big.db"
    make_table(path, "docs", [{"id": i, "title": f"zebra {i}", "body": "zebra river"} for i in range(n)])
    embed_table(str(path), "docs", columns=["title", "body"], model=fake_model)
    conn = sqlite3.connect(path)
    conn.execute("update docs set body = ?", ["river " * (chars // 6)])
    conn.commit()
    conn.close()
    return path


def test_search_holds_no_whole_hit(tmp_path, fake_model):
    path = _big_rows(tmp_path, fake_model, 20, 2_000_000)
    ds = Datasette([str(path)])

    async def run():
        await ds.client.get("/-/semantic-search?q=zebra&database=big&table=docs&mode=semantic&limit=1")
        tracemalloc.start()
        response = await ds.client.get("/-/semantic-search?q=zebra&database=big&table=docs&mode=semantic&limit=20")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return response, peak

    response, peak = asyncio.run(run())
    assert response.status_code == 200 and len(response.json()["hits"]) == 20
    assert all(hit["row"]["body"] == clip("river " * 1_000) for hit in response.json()["hits"])
    assert peak < 8_000_000, peak  # the 20 bodies are 40 MB


def _passage_row(path, table: str, key):
    """(row, columns cut, tracemalloc's peak) of reading one row for passages, read once before to warm up."""
    ds = Datasette([str(path)])

    async def run():
        db = ds.get_database(path.stem)
        await text_rows.full_row(db, table, [key], text_rows.Reader(frozenset({table}), 10_000))
        tracemalloc.start()
        row, cut = await text_rows.full_row(db, table, [key], text_rows.Reader(frozenset({table}), 10_000))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return row, cut, peak

    return asyncio.run(run())


def test_a_row_read_for_passages_is_cut_by_sqlite(tmp_path, fake_model):
    path = _big_rows(tmp_path, fake_model, 1, 3 * text_rows.ROW_CELL_CHARS)
    conn = sqlite3.connect(path)
    conn.execute("alter table docs add column picture blob")
    conn.execute("update docs set picture = zeroblob(5000000)")
    conn.commit()
    conn.close()
    row, cut, peak = _passage_row(path, "docs", 0)
    assert cut == ["body"] and len(row["body"]) == text_rows.ROW_CELL_CHARS and row["title"] == "zebra 0"
    assert row["picture"] is None and row["id"] == 0
    assert peak < 4 * text_rows.ROW_CELL_CHARS + 1_000_000, peak  # the body is 300,000 characters


def test_ids_that_name_no_row_are_no_hits_and_no_error(tmp_path, fake_model):
    """The store is database content: a rowid of letters or of 5,000 digits made every search a 500, an id of
    8 MB a 126 MB response (an outside tester, session 28). Such ids name no row a hit can show."""
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"zebra {i}"} for i in range(3)])
    conn = sqlite3.connect(path)
    conn.execute("create table loose (body text)")
    conn.executemany("insert into loose values (?)", [["zebra a"], ["zebra b"]])
    conn.commit()
    conn.close()
    embed_table(str(path), "docs", model=fake_model)
    embed_table(str(path), "loose", model=fake_model)
    conn = sqlite3.connect(path)
    collection = conn.execute("select id from collections where name = 'loose'").fetchone()[0]
    conn.execute("update embeddings set id = 'abc' where collection_id = ? and id = '1'", [collection])
    conn.execute("update embeddings set id = ? where collection_id = ? and id = '2'", ["9" * 5_000, collection])
    collection = conn.execute("select id from collections where name = 'docs'").fetchone()[0]
    conn.execute("update embeddings set id = ? where collection_id = ? and id = '0'", ["x" * 2_000_000, collection])
    conn.commit()
    conn.close()
    ds = Datasette([str(path)])

    async def run():
        searched = await ds.client.get("/-/semantic-search?q=zebra&database=data&mode=semantic&limit=20")
        everywhere = await ds.client.get("/-/semantic-search?q=zebra&mode=semantic&limit=20")
        return searched, everywhere

    for response in asyncio.run(run()):
        assert response.status_code == 200, response.text[:300]
        assert len(response.content) < 20_000
        assert sorted(hit["id"] for hit in response.json()["hits"]) == ["1", "2"]


def test_a_row_read_for_passages_has_a_budget_of_its_own(tmp_path, fake_model):
    """Cut a column at a time, 4 rows of 1,990 columns of 100,000 characters took 1.4 GB (session 28)."""
    columns = [f"c{i}" for i in range(300)]
    path = tmp_path / "wide.db"
    make_table(path, "wide", [{"id": 1, "title": "zebra", **{c: "x" for c in columns}}])
    conn = sqlite3.connect(path)
    conn.execute(f"update wide set {', '.join(f'{c} = ?' for c in columns)}", ["y" * 10_000] * len(columns))
    conn.commit()
    conn.close()
    row, cut, peak = _passage_row(path, "wide", 1)
    texts = sum(len(v) for k, v in row.items() if isinstance(v, str))
    assert texts == text_rows.ROW_TEXT_CHARS and row["title"] == "zebra" and row["c0"] == "y" * 10_000
    assert cut == columns[text_rows.ROW_TEXT_CHARS // 10_000 - 1 :]  # title took 5 of the first column's
    assert peak < 3 * text_rows.ROW_TEXT_CHARS + 1_000_000, peak  # the row is 3 MB


def test_a_passage_row_is_read_from_one_version_of_it(tmp_path, fake_model, monkeypatch):
    """The row's text lengths decide what is cut; its values are read by a second statement. A writer between
    the two made the note on what was cut wrong (and the values another version's). Both now come from one
    read transaction: what a writer commits between them is not seen."""
    path = _big_rows(tmp_path, fake_model, 1, 60)
    conn = sqlite3.connect(path)
    conn.execute("pragma journal_mode=wal")
    conn.close()
    original = text_rows.clipped_columns

    def write_between(*args, **kwargs):
        with sqlite3.connect(path) as writer:
            writer.execute("update docs set body = ?", ["longer " * text_rows.ROW_CELL_CHARS])
        return original(*args, **kwargs)

    monkeypatch.setattr(text_rows, "clipped_columns", write_between)
    ds = Datasette([str(path)])

    async def run():
        return await text_rows.full_row(
            ds.get_database("big"), "docs", [0], text_rows.Reader(frozenset({"docs"}), 10_000)
        )

    row, cut = asyncio.run(run())
    assert cut == [] and row["body"] == "river " * 10
    monkeypatch.setattr(text_rows, "clipped_columns", original)
    row, cut = asyncio.run(run())
    assert cut == ["body"] and len(row["body"]) == text_rows.ROW_CELL_CHARS


@pytest.mark.parametrize("key_chars", [1_001, 50_000, 2_000_000])
def test_a_row_whose_key_is_longer_than_a_hit_shows_is_no_hit(tmp_path, fake_model, key_chars):
    """A row whose text key is longer than MAX_KEY_CHARS is found by no search: a hit repeats its key 4 times, so
    a key of megabytes made a response of four times that (session 28). An id that names no row does not tell it
    (the test above): here the long key is a real row's, embedded as every other. Oracle: the rows in the file and
    the response's size."""
    from datasette_llm.embeddings.hits import MAX_KEY_CHARS

    path = tmp_path / "data.db"
    long_key = "k" * key_chars
    make_table(path, "notes", [{"key": f"n{i}", "body": f"zebra {i}"} for i in range(3)], pk="key")
    conn = sqlite3.connect(path)
    conn.execute("insert into notes values (?, 'zebra long')", [long_key])
    conn.commit()
    assert conn.execute("select count(*) from notes where length(key) > ?", [MAX_KEY_CHARS]).fetchone() == (1,)
    conn.close()
    embed_table(str(path), "notes", model=fake_model)
    ds = Datasette([str(path)])

    async def run():
        return await ds.client.get("/-/semantic-search?q=zebra&database=data&mode=semantic&limit=20")

    response = asyncio.run(run())
    assert response.status_code == 200, response.text[:300]
    assert sorted(hit["id"] for hit in response.json()["hits"]) == ["n0", "n1", "n2"]
    assert len(response.content) < 20_000


@pytest.mark.parametrize("limit_ms", [40, 1_000, 2_500, 30_000])
def test_hit_reads_keep_the_servers_own_time_limit(tmp_path, fake_model, monkeypatch, limit_ms):
    """A hit's row is read within the time limit Datasette is configured with (`sql_time_limit_ms`), as every
    other query of the server: an outside tester's mutant that read every hit within 1 s whatever the setting
    said passed the suite (session 51). Oracle: the setting the server was started with, against the deadline
    each read of hit rows is given."""
    from datasette_llm.embeddings import hits

    given = []
    real = hits.with_deadline

    def recording(conn, ms, work):
        given.append(ms)
        return real(conn, ms, work)

    monkeypatch.setattr(hits, "with_deadline", recording)
    path = tmp_path / "data.db"
    make_table(path, "notes", [{"id": i, "body": f"zebra {i}"} for i in range(5)])
    embed_table(str(path), "notes", model=fake_model)
    ds = Datasette([str(path)], settings={"sql_time_limit_ms": limit_ms})

    async def run():
        return await ds.client.get("/-/semantic-search?q=zebra&database=data&mode=semantic&limit=5")

    response = asyncio.run(run())
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["hits"]) == 5
    assert given and set(given) == {limit_ms}
