"""What a build reads (embeddings/source.py) is what search reads back (embeddings/hits.py): a row's embeddings id is
its primary key as the value itself for one key column and a JSON list, in key order, for several (row_id); the text
it embeds is every column of TEXT affinity by SQLite's rule (a declared type containing CHAR, CLOB or TEXT); and the
tables a build may name are the user's own, not a full-text index or its shadow tables. Found by an outside tester's
mutation run (session 53): a text primary key stored JSON-quoted, a composite key in column order or ASCII-escaped,
and VARCHAR or CLOB columns left out, all passed the suite; each leaves rows no search can show (the id names no row,
or the row was embedded without its text).

Oracle: the rows themselves, through Datasette's /-/semantic-search with the tests' bag-of-words model (a row is the
best hit for its own text), and SQLite's own pragma table_info / sqlite_master.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model

from datasette_llm.embeddings import embed_table, enable_fts
from datasette_llm.errors import NotFound


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def stored_ids(path, collection: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "select e.id from embeddings e join collections c on c.id = e.collection_id where c.name = ? order by e.id",
            (collection,),
        ).fetchall()
    conn.close()
    return [row[0] for row in rows]


async def best_hit(path, table: str, text: str) -> dict:
    ds = Datasette([str(path)])
    response = await ds.client.get(
        "/-/semantic-search", params={"q": text, "database": "data", "table": table, "mode": "semantic", "limit": 1}
    )
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert len(hits) == 1, response.text
    return hits[0]


TEXT_KEYED = [
    {"slug": "café-noir", "body": "zebra walrus espresso"},
    {"slug": 'say "hi"', "body": "mango river quartz"},
    {"slug": "plain", "body": "orchid falcon harbor"},
]


@pytest.mark.asyncio
async def test_a_text_primary_key_is_its_own_id_and_search_finds_its_row(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(path, "places", TEXT_KEYED, pk="slug")
    embed_table(str(path), "places", model=fake_model)
    assert stored_ids(path, "places") == sorted(row["slug"] for row in TEXT_KEYED)
    for row in TEXT_KEYED:
        hit = await best_hit(path, "places", row["body"])
        assert hit["id"] == row["slug"] and hit["row"] == row and hit["pk"] == [row["slug"]]


@pytest.mark.asyncio
async def test_a_composite_key_declared_out_of_column_order_is_read_in_key_order(tmp_path, fake_model):
    """`primary key (city, n)` on columns (n, city, body): the id is [city, n], as Datasette reads the key; in column
    order it would be [n, city], which names no row (or another row, were both integers)."""
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table visits (n integer, city text, body text, primary key (city, n))")
        conn.executemany(
            "insert into visits values (?, ?, ?)",
            [(1, "Zürich", "zebra walrus espresso"), (2, "Zürich", "mango river quartz"), (1, "Оslo", "orchid falcon")],
        )
    conn.close()
    embed_table(str(path), "visits", model=fake_model)
    ids = stored_ids(path, "visits")
    assert sorted(json.loads(i) for i in ids) == [["Zürich", 1], ["Zürich", 2], ["Оslo", 1]]
    assert all("\\u" not in i for i in ids)  # the text as it is: the id search builds from the row again
    for n, city, body in [(1, "Zürich", "zebra walrus espresso"), (2, "Zürich", "mango river quartz")]:
        hit = await best_hit(path, "visits", body)
        assert hit["pk"] == [city, n] and hit["row"] == {"n": n, "city": city, "body": body}


@pytest.mark.parametrize("declared", ["VARCHAR(80)", "CLOB", "NCHAR(20)", "character varying", "TEXT"])
def test_every_column_of_text_affinity_is_embedded_by_default(tmp_path, fake_model, declared):
    """SQLite gives TEXT affinity to a declared type containing CHAR, CLOB or TEXT: such a column is the row's
    text, not left out (a table of VARCHAR columns was "no text columns")."""
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"create table notes (id integer primary key, body {declared}, n integer)")
        conn.execute("insert into notes values (1, 'kettle lemon', 7)")
    conn.close()
    embed_table(str(path), "notes", model=fake_model, store=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select content from embeddings where id = '1'").fetchone() == ("kettle lemon",)
    conn.close()


def test_a_full_text_index_is_no_table_to_build_for_and_a_table_named_like_one_is(tmp_path, fake_model):
    """The FTS table enable_fts makes, and its shadow tables, are refused as tables that do not exist and are not
    listed; a table of the user's whose name starts with the index's name (no underscore after it) is theirs."""
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "alpha bravo"}])
    make_table(path, "docs_ftsnotes", [{"id": 1, "body": "charlie delta"}])
    assert enable_fts(str(path), "docs") == "docs_fts"
    with sqlite3.connect(path) as conn:
        shadows = [r[0] for r in conn.execute("select name from sqlite_master where name glob 'docs_fts_*'")]
    conn.close()
    assert shadows
    for name in ["docs_fts", *shadows]:
        with pytest.raises(NotFound) as refused:
            embed_table(str(path), name, model=fake_model)
        listed = str(refused.value).split("Tables:")[1].strip().rstrip(".").split(", ")
        assert listed == ["docs", "docs_ftsnotes"]
    assert embed_table(str(path), "docs_ftsnotes", model=fake_model).embedded == 1


def test_the_key_is_no_part_of_the_text_and_a_long_row_is_cut_before_any_model_reads_it(tmp_path, fake_model):
    """A text primary key names the row; the text embedded is its other text columns. A row's text reaches the
    model cut at MAX_ROW_TEXT_CHARS (200,000): cells of 50 MB went to a model server in one request (session 36)."""
    from datasette_llm.embeddings.source import MAX_ROW_TEXT_CHARS

    path = tmp_path / "data.db"
    make_table(
        path,
        "places",
        [{"slug": "alpha-key", "body": "kettle lemon"}, {"slug": "long", "body": "x" * 300_000}],
        pk="slug",
    )
    seen = []
    embed = fake_model._embed
    fake_model._embed = lambda texts: seen.extend(texts) or embed(texts)
    embed_table(str(path), "places", model=fake_model, store=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select content from embeddings where id = 'alpha-key'").fetchone() == ("kettle lemon",)
    conn.close()
    assert sorted(map(len, seen)) == [len("kettle lemon"), MAX_ROW_TEXT_CHARS] and MAX_ROW_TEXT_CHARS < 300_000


def test_a_sql_source_of_one_column_is_refused_as_having_no_text(tmp_path, fake_model):
    from datasette_llm.errors import BadRequest

    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": 1, "body": "alpha"}])
    with pytest.raises(BadRequest, match="must select an id column followed by one or more text columns"):
        embed_table(str(path), "docs", sql="select id from docs", model=fake_model)


def test_a_sql_source_reports_how_many_rows_it_reads(tmp_path, fake_model):
    """The progress of a `--sql` build counts against the query's own row count (it said 0 of 0 rows)."""
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "body": f"alpha {i}"} for i in range(5)])
    seen = []
    summary = embed_table(
        str(path),
        "docs",
        sql="select id, body from docs where id < 3",
        model=fake_model,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert summary.embedded == 3 and summary.total == 3 and seen[-1] == (3, 3)
