"""Storage compatibility with llm: schema, encoding, hashes, migrations, hand-written collections, conflicts."""

import hashlib
import os
import sqlite3
import struct
import time

import numpy as np
import pytest
import sqlite_utils
from ask_helpers import ScriptedModel
from datasette.app import Datasette
from datasette.utils import tilde_encode
from search_helpers import (
    FakeEmbeddingModel,
    actor_cookies,
    columns_of,
    make_table,
    unpack,
    use_fake_model,
    use_hidden_tables_hook,
    word_vector,
)

from datasette_llm.embeddings import (
    INDEXES,
    SchemaConflict,
    cosine,
    decode,
    embed_table,
    encode,
    register_sql_functions,
    semantic_search,
)

LLM_EMBEDDING_COLUMNS = [
    "collection_id",
    "id",
    "embedding",
    "content",
    "content_blob",
    "content_hash",
    "metadata",
    "updated",
]
ROWS = [
    {"id": 1, "text": "red apples and green pears"},
    {"id": 2, "text": "a rusty old bicycle"},
    {"id": 3, "text": "fresh green pears from the market"},
]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.fixture
def hidden_tables_hook():
    yield from use_hidden_tables_hook()


def llm_like_migrations(fail: bool = False) -> sqlite_utils.Migrations:
    """llm's embeddings migration set (same names, same resulting schema), written with sqlite-utils.

    With fail=True every step raises: applying it to a database must find nothing pending.
    """
    migrations = sqlite_utils.Migrations("llm.embeddings")

    def step(function):
        def run(db):
            if fail:
                raise AssertionError(f"llm would re-run {function.__name__}")
            function(db)

        run.__name__ = function.__name__
        return migrations()(run)

    @step
    def m001_create_tables(db):
        db["collections"].create({"id": int, "name": str, "model": str}, pk="id")
        db["collections"].create_index(["name"], unique=True)
        db["embeddings"].create(
            {"collection_id": int, "id": str, "embedding": bytes, "content": str, "metadata": str},
            pk=("collection_id", "id"),
        )

    @step
    def m002_foreign_key(db):
        db["embeddings"].add_foreign_key("collection_id", "collections", "id")

    @step
    def m003_add_updated(db):
        db["embeddings"].add_column("updated", int)

    @step
    def m004_store_content_hash(db):
        db["embeddings"].add_column("content_hash", bytes)
        db["embeddings"].transform(
            column_order=("collection_id", "id", "embedding", "content", "content_hash", "metadata", "updated")
        )
        db["embeddings"].create_index(["content_hash"])

    @step
    def m005_add_content_blob(db):
        db["embeddings"].add_column("content_blob", bytes)
        db["embeddings"].transform(column_order=("collection_id", "id", "embedding", "content", "content_blob"))

    return migrations


def test_encoding_is_llms_little_endian_float32():
    vector = [0.5, -1.25, 3.0e-7, 42.0]
    assert encode(vector) == struct.pack("<" + "f" * 4, *vector)
    assert list(decode(struct.pack("<ffff", *vector))) == pytest.approx(vector)
    assert cosine(encode([1, 0]), encode([0, 2])) == pytest.approx(0.0)
    assert cosine(encode([1, 1]), encode([2, 2])) == pytest.approx(1.0)
    assert cosine(encode([1, 1]), encode([1, 1, 1])) is None
    assert cosine(None, encode([1])) is None


def test_round_trip_in_llm_format(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(path, "docs", ROWS)
    summary = embed_table(str(path), "docs", model=fake_model, store=True)
    assert summary.embedded == 3
    assert columns_of(path, "embeddings") == LLM_EMBEDDING_COLUMNS
    assert columns_of(path, "collections") == ["id", "name", "model"]
    conn = sqlite3.connect(path)
    assert conn.execute("select name, model from collections").fetchall() == [("docs", "fake-bow")]
    rows = conn.execute("select id, embedding, content, content_hash, updated from embeddings order by id").fetchall()
    assert [row[0] for row in rows] == ["1", "2", "3"]
    for (_, blob, content, digest, updated), source in zip(rows, ROWS):
        expected = word_vector(source["text"])
        expected = expected / np.linalg.norm(expected)
        assert np.allclose(unpack(blob), expected, atol=1e-6)  # struct decoding, as `llm similar` does
        assert content == source["text"]
        assert digest == hashlib.md5(source["text"].encode("utf8")).digest()
        assert abs(updated - time.time()) < 60
    # llm's migration runner finds its whole set applied, so it will not try to create the tables again.
    llm_like_migrations(fail=True).apply(sqlite_utils.Database(path))


def test_llm_cosine_sql_function(tmp_path, fake_model):
    path = tmp_path / "data.db"
    make_table(path, "docs", ROWS)
    embed_table(str(path), "docs", model=fake_model)
    conn = sqlite3.connect(path)
    register_sql_functions(conn)
    (score,) = conn.execute(
        "select llm_cosine(a.embedding, b.embedding) from embeddings a, embeddings b where a.id = '1' and b.id = '3'"
    ).fetchone()
    a, b = word_vector(ROWS[0]["text"]), word_vector(ROWS[2]["text"])
    assert score == pytest.approx(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)), abs=1e-5)
    # Blobs longer than any embedding are not vectors: no score, and no gigabytes of floats.
    assert conn.execute("select llm_cosine(zeroblob(65540), zeroblob(65540))").fetchone() == (None,)
    assert conn.execute("select llm_cosine(zeroblob(65536), zeroblob(65536))").fetchone() == (0.0,)


@pytest.mark.asyncio
async def test_serves_a_collection_written_by_llm(tmp_path, fake_model):
    path = tmp_path / "llm.db"
    make_table(path, "docs", ROWS)
    db = sqlite_utils.Database(path)
    llm_like_migrations().apply(db)
    # What `llm embed-multi docs --sql 'select id, text from docs'` writes (vectors not normalised).
    db["collections"].insert({"name": "docs", "model": "fake-bow"})
    db["collections"].insert({"name": "notes", "model": "fake-bow"})
    for row in ROWS:
        vector = word_vector(row["text"]) * 3.0
        db["embeddings"].insert(
            {
                "collection_id": 1,
                "id": str(row["id"]),
                "embedding": struct.pack("<" + "f" * len(vector), *vector),
                "content": None,
                "content_hash": hashlib.md5(row["text"].encode()).digest(),
                "metadata": None,
                "updated": int(time.time()),
            }
        )
    db["embeddings"].insert(
        {
            "collection_id": 2,
            "id": "note-1",
            "embedding": encode(word_vector("green pears")),
            "content": "a note about green pears",
            "updated": 1,
        }
    )
    db.close()
    ds = Datasette([str(path)])
    result = await semantic_search(ds, None, "green pears", database="llm", table="docs", mode="semantic")
    assert [hit.id for hit in result.hits][:2] == ["3", "1"]
    assert result.hits[0].row["text"] == "fresh green pears from the market"
    assert result.hits[0].url == "/llm/docs/3"
    loose = await semantic_search(ds, None, "green pears", database="llm", table="notes", mode="semantic")
    assert loose.hits[0].row["content"] == "a note about green pears" and loose.hits[0].url is None
    # Incremental builds over llm's collection reuse its hashes: nothing to re-embed.
    summary = embed_table(str(path), "docs", model=fake_model)
    assert (summary.embedded, summary.unchanged) == (0, 3)


@pytest.mark.asyncio
async def test_user_tables_with_our_names_are_never_touched(tmp_path, fake_model, hidden_tables_hook):
    path = tmp_path / "mine.db"
    make_table(path, "docs", ROWS)
    make_table(path, "embeddings", [{"id": 1, "vector": b"\x00", "note": "mine"}])
    before = sqlite3.connect(path).execute("select sql from sqlite_master where name = 'embeddings'").fetchone()
    with pytest.raises(SchemaConflict) as error:
        embed_table(str(path), "docs", model=fake_model)
    assert "table_prefix" in error.value.message and "'embeddings'" in error.value.message
    conn = sqlite3.connect(path)
    assert conn.execute("select sql from sqlite_master where name = 'embeddings'").fetchone() == before
    assert conn.execute("select * from embeddings").fetchall() == [(1, b"\x00", "mine")]
    assert conn.execute("select count(*) from sqlite_master where name = 'collections'").fetchone() == (0,)
    conn.close()

    summary = embed_table(str(path), "docs", model=fake_model, table_prefix="llm_")
    assert summary.embedded == 3
    assert columns_of(path, "llm_embeddings") == LLM_EMBEDDING_COLUMNS

    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"table_prefix": "llm_"}}})
    result = await semantic_search(ds, None, "rusty bicycle", mode="semantic")
    assert result.hits[0].id == "2"
    hidden = await ds.get_database("mine").hidden_table_names()
    assert {"llm_collections", "llm_embeddings"} <= set(hidden) and "embeddings" not in hidden
    # Without the prefix setting the user's table is simply not a collection store: no error, no hits.
    plain = Datasette([str(path)])
    result = await semantic_search(plain, None, "rusty bicycle", mode="semantic")
    assert result.hits == () and any("embeddings" in note for note in result.notes)


@pytest.mark.asyncio
async def test_storage_tables_hidden_from_datasette(tmp_path, fake_model, hidden_tables_hook):
    path = tmp_path / "data.db"
    make_table(path, "docs", ROWS)
    ds = Datasette([str(path)])
    assert "embeddings" not in await ds.get_database("data").hidden_table_names()
    embed_table(str(path), "docs", model=FakeEmbeddingModel())
    # The next page leaves them out (Datasette 1.0 learns of them before each request: embeddings/hidden.py).
    response = await ds.client.get("/data")
    assert response.status_code == 200
    assert 'href="/data/docs"' in response.text and 'href="/data/embeddings"' not in response.text
    hidden = set(await ds.get_database("data").hidden_table_names())
    assert {"collections", "embeddings", "_sqlite_migrations"} <= hidden
    assert "docs" not in hidden


@pytest.mark.asyncio
async def test_storage_tables_are_denied_to_actors_who_may_not_run_sql(tmp_path, fake_model, hidden_tables_hook):
    """The storage holds every embedded table's keys, collection names and (stored) text, hidden tables' too:
    Datasette's own table pages show it only to actors who may run SQL there, and deny it to others exactly as
    a denied table (an outside attacker read a denied table's text from /db/embeddings.json). A user's own
    table that happens to be called `embeddings` is left alone."""
    path = tmp_path / "data.db"
    make_table(path, "docs", ROWS)
    make_table(path, "private", [{"id": 1, "text": "SECRET launch codes"}])
    embed_table(str(path), "private", model=FakeEmbeddingModel(), store=True)
    mine = tmp_path / "mine.db"
    make_table(mine, "embeddings", [{"id": 1, "note": "my own table"}])
    no_sql = {"allow_sql": {"id": "admin"}}
    metadata = {"databases": {"data": {**no_sql, "tables": {"private": {"allow": {"id": "admin"}}}}, "mine": no_sql}}
    ds = Datasette([str(path), str(mine)], metadata=metadata, secret="s")
    denied = await ds.client.get("/data/private.json")
    assert denied.status_code == 403
    for table in ("embeddings", "collections"):
        response = await ds.client.get(f"/data/{table}.json?_shape=array")
        assert response.status_code == denied.status_code, response.text
        assert "SECRET" not in response.text and "private" not in response.text
    assert (await ds.client.get("/data/docs.json")).status_code == 200
    assert (await ds.client.get("/mine/embeddings.json")).status_code == 200  # not ours: untouched
    admin = actor_cookies(ds, {"id": "admin"})
    stored = await ds.client.get("/data/embeddings.json?_shape=array", cookies=admin)
    assert stored.status_code == 200 and "SECRET launch codes" in stored.text  # may run SQL: could read it anyway


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "written, served",
    [
        ("other_", ""),
        ("", "llm_"),
        ("A b_", "llm_"),
        ("ü_", ""),
        ("llm_", "LLM_"),
        ("x_", "x_"),
        ("Ö_", "Ö_"),  # SQLite folds A-Z only: a second tester's "Ö_" store was found as "ö_", which is not it
        ("ÉX_", ""),
        ("straße_", "Ö_"),
    ],
)
async def test_storage_under_any_prefix_is_denied_to_actors_who_may_not_run_sql(
    tmp_path, fake_model, hidden_tables_hook, written, served
):
    """The storage was denied only under the server's `table_prefix`: written by `datasette llm embed
    --table-prefix other_`, or before the setting changed, its stored text of a denied table was open to anyone on
    Datasette's own table pages (an outside tester, session 39). Every store in the database, under whatever prefix,
    is denied and hidden; tables of the user's that only share the names are not."""
    path = tmp_path / "data.db"
    make_table(path, "docs", ROWS)
    make_table(path, "private", [{"id": 1, "text": "SECRET launch codes"}])
    make_table(path, "zz_embeddings", [{"id": 1, "note": "my own table"}])  # a user's: not a store
    embed_table(str(path), "private", model=FakeEmbeddingModel(), store=True, table_prefix=written)
    metadata = {
        "databases": {"data": {"allow_sql": {"id": "admin"}, "tables": {"private": {"allow": {"id": "admin"}}}}},
        "plugins": {"datasette-llm": {"table_prefix": served}},
    }
    ds = Datasette([str(path)], metadata=metadata, secret="s")
    denied = await ds.client.get("/data/private.json")
    assert denied.status_code == 403
    hidden = set(await ds.get_database("data").hidden_table_names())
    for table in (f"{written}embeddings", f"{written}collections"):
        response = await ds.client.get(f"/data/{tilde_encode(table)}.json?_shape=array")
        assert response.status_code == 403, (table, response.status_code, response.text[:200])
        assert "SECRET" not in response.text and table in hidden
    assert (await ds.client.get("/data/zz_embeddings.json")).status_code == 200
    assert "zz_embeddings" not in hidden


@pytest.mark.asyncio
async def test_storage_tables_stay_denied_while_the_database_cannot_be_read(
    tmp_path, fake_model, hidden_tables_hook, monkeypatch
):
    """Finding the storage tables needs a read of the file; when that fails (a writer holds a lock), the names they
    would have are denied rather than shown, and the failure is not remembered."""
    from datasette_llm.embeddings import hidden

    path = tmp_path / "data.db"
    make_table(path, "private", [{"id": 1, "text": "SECRET launch codes"}])
    embed_table(str(path), "private", model=FakeEmbeddingModel(), store=True)
    ds = Datasette([str(path)], metadata={"databases": {"data": {"allow_sql": {"id": "admin"}}}})

    def locked(db):
        raise sqlite3.OperationalError("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(hidden, "_connect", locked)
        response = await ds.client.get("/data/embeddings.json?_shape=array")
        assert response.status_code == 403 and "SECRET" not in response.text
    assert hidden.storage_tables(ds, "data") == ("collections", "embeddings", "_sqlite_migrations")


async def read_as_not_storage(path, name: str):
    """A table page (its action links look for collections) and a search of the instance answer at once, the
    look-alike named in the search's notes as the database's own."""
    import time

    ds = Datasette([str(path)])
    started = time.monotonic()
    page = await ds.client.get(f"/{path.stem}/docs")
    result = await semantic_search(ds, None, "rusty bicycle", mode="semantic")
    assert page.status_code == 200 and not result.hits and time.monotonic() - started < 5
    assert any(f"a view or virtual table named {name!r}" in note for note in result.notes)


@pytest.mark.asyncio
@pytest.mark.parametrize("module", ["fts5", "fts4"])
async def test_virtual_tables_named_like_the_storage_are_the_databases_own_not_storage(tmp_path, fake_model, module):
    """An FTS table named `collections` over an endless view has the storage's columns and is a table: it was read as
    storage with no limit, from every table page (the second tester of session 36)."""

    path = tmp_path / "fts.db"
    make_table(path, "docs", ROWS)
    endless = "with recursive n(i) as (select 1 union all select i + 1 from n) select i as id, 'docs' as name from n"
    conn = sqlite3.connect(path)
    content = "content=endless, content_rowid=id" if module == "fts5" else "content=endless"
    conn.executescript(
        f"create view endless as {endless}; create virtual table collections using {module}(id, name, model, {content})"
    )
    conn.close()
    await read_as_not_storage(path, "collections")


@pytest.mark.asyncio
async def test_views_named_like_the_storage_are_the_databases_own_not_storage(tmp_path, fake_model):
    """A view named `embeddings` or `collections` passed the column check and was read as storage with no time
    limit: an endless one kept every SQL thread busy for ever from a table page's action links, the search and
    Ask (an outside tester, session 36). A view of those names is the database's own, as a table of them is."""

    path = tmp_path / "views.db"
    make_table(path, "docs", ROWS)
    endless = "with recursive n(i) as (select 1 union all select i + 1 from n) select"
    conn = sqlite3.connect(path)
    conn.executescript(
        f"create view collections as {endless} i as id, 'docs' as name, 'm' as model from n;"
        f"create view embeddings as {endless} 1 as collection_id, i as id, x'00' as embedding, null as content,"
        " null as content_blob, null as content_hash, null as metadata, 0 as updated from n;"
    )
    conn.close()
    with pytest.raises(SchemaConflict) as error:
        embed_table(str(path), "docs", model=fake_model)
    assert "a view or virtual table named 'collections'" in error.value.message
    await read_as_not_storage(path, "collections")


@pytest.mark.asyncio
async def test_vectors_that_are_no_vectors_are_skipped(tmp_path, fake_model):
    """A 6-byte or a text vector made every search of the instance a 500, and a 100 MB one was read and kept for
    the server's life (an outside tester, session 36): they are skipped, like a vector of other dimensions."""
    from datasette_llm.embeddings.store import StoreTables, read_vectors

    path = tmp_path / "odd.db"
    make_table(path, "docs", ROWS)
    embed_table(str(path), "docs", model=fake_model)
    conn = sqlite3.connect(path)
    good = conn.execute("select collection_id, id, embedding from embeddings order by rowid").fetchall()
    conn.execute("delete from embeddings")
    # Read first (in key order): the first vector read set the length every other had to have.
    conn.executemany(
        "insert into embeddings (collection_id, id, embedding) values (1, ?, ?)",
        [("0six", b"\x00" * 6), ("0text", "not a vector"), ("0huge", b"\x00" * 4 * 100_000), ("0empty", b"")],
    )
    conn.executemany("insert into embeddings (collection_id, id, embedding) values (?, ?, ?)", good)
    conn.commit()
    ids, matrix = read_vectors(conn, StoreTables(""), 1)
    assert sorted(ids) == ["1", "2", "3"] and matrix.shape[0] == 3
    conn.close()
    result = await semantic_search(Datasette([str(path)]), None, "rusty bicycle", mode="semantic")
    assert result.hits[0].id == "2"


@pytest.mark.asyncio
async def test_one_short_vector_first_does_not_set_the_good_ones_aside(tmp_path, fake_model):
    """A well-formed float32 vector of other dimensions read first (the lowest id) set the length: every good
    vector was skipped and the search said to rebuild the collection (an outside tester, session 37). The
    collection's length is its most common one."""
    from datasette_llm.embeddings.store import StoreTables, read_vectors

    path = tmp_path / "first.db"
    make_table(path, "docs", ROWS)
    embed_table(str(path), "docs", model=fake_model)
    conn = sqlite3.connect(path)
    conn.execute("insert into embeddings (collection_id, id, embedding) values (1, '0', ?)", [b"\x00\x00\x80\x3f" * 4])
    conn.commit()
    ids, matrix = read_vectors(conn, StoreTables(""), 1)
    assert sorted(ids) == ["1", "2", "3"] and matrix.shape == (3, 64)
    conn.close()
    result = await semantic_search(Datasette([str(path)]), None, "rusty bicycle", table="docs", mode="semantic")
    assert result.hits[0].id == "2"


@pytest.mark.asyncio
async def test_a_vector_updated_in_place_by_another_writer_is_searched(tmp_path, fake_model):
    """Another process updating a vector in place, as sqlite-utils' upsert does for llm's own `embed` (the rowid
    kept, `updated` stamped but not above the newest): the next search ranks the new vector (it served the old
    one until a restart: an outside tester's brute-force oracle, session 37)."""
    path = tmp_path / "inplace.db"
    make_table(path, "docs", ROWS)
    embed_table(str(path), "docs", model=fake_model)
    conn = sqlite3.connect(path)
    (newest,) = conn.execute("select max(updated) from embeddings").fetchone()
    with conn:  # row 3 embedded earlier than the others
        conn.execute("update embeddings set updated = ? where id = '3'", [newest - 60])
    ds = Datasette([str(path)])
    first = await semantic_search(ds, None, "rusty bicycle", table="docs", mode="semantic")
    assert first.hits[0].id == "2"
    vector = fake_model.embed(["rusty bicycle"])[0].astype("<f4").tobytes()
    with conn:  # embedded again in the second of the newest
        conn.execute("update embeddings set embedding = ?, updated = ? where id = '3'", [vector, newest])
    conn.close()
    os.utime(path, (time.time() + 5, time.time() + 5))  # a new mtime, however coarse the file system's
    second = await semantic_search(ds, None, "rusty bicycle", table="docs", mode="semantic")
    assert second.hits[0].id == "3" and second.hits[0].score == pytest.approx(1.0, abs=1e-5)


@pytest.mark.asyncio
async def test_a_vector_embedded_again_within_its_stamps_second_is_searched(tmp_path, fake_model):
    """llm's `embed` run twice within one second: the row's rowid, its stamp and every aggregate the signature
    holds stay the same, and a running server ranked by the old text until a restart (an outside tester, session
    38). A collection read within a second of its newest stamp is decoded again after the next write."""
    path = tmp_path / "same_second.db"
    make_table(path, "docs", ROWS)
    embed_table(str(path), "docs", model=fake_model)
    conn = sqlite3.connect(path)
    stamp = int(time.time()) + 5  # the second the rows were embedded in (a margin for a slow machine)
    with conn:
        conn.execute("update embeddings set updated = ?", [stamp])
    ds = Datasette([str(path)])
    first = await semantic_search(ds, None, "rusty bicycle", table="docs", mode="semantic")
    assert first.hits[0].id == "2"
    vector = fake_model.embed(["rusty bicycle"])[0].astype("<f4").tobytes()
    with conn:  # embedded again within the same second: the same stamp, the same rowid
        conn.execute("update embeddings set embedding = ? where id = '3'", [vector])
    conn.close()
    second = await semantic_search(ds, None, "rusty bicycle", table="docs", mode="semantic")
    assert second.hits[0].id == "3" and second.hits[0].score == pytest.approx(1.0, abs=1e-5)
    loads = INDEXES.loads
    again = await semantic_search(ds, None, "rusty bicycle", table="docs", mode="semantic")
    assert again.hits[0].id == "3" and INDEXES.loads == loads  # nothing written since: the matrix is kept


@pytest.mark.asyncio
async def test_a_damaged_store_is_a_503_that_says_so(tmp_path, fake_model):
    """A damaged page in the embeddings storage ("database disk image is malformed") was a 500 on every search of
    the instance (an outside tester, session 36): a 503 that says the file is damaged, nothing written."""
    path = tmp_path / "broken.db"
    make_table(path, "docs", [{"id": i, "title": f"doc {i}", "body": "words " * 50} for i in range(400)])
    embed_table(str(path), "docs", model=fake_model)
    conn = sqlite3.connect(path)
    page_size = conn.execute("pragma page_size").fetchone()[0]
    (root,) = conn.execute("select rootpage from sqlite_master where name = 'embeddings'").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size : root * page_size] = b"\xff" * page_size  # the table's root page
    path.write_bytes(bytes(data))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    ds = Datasette([str(path)])
    response = await ds.client.get("/-/semantic-search?q=words")
    assert response.status_code == 503, response.text
    assert "damaged" in response.json()["error"] and "Traceback" not in response.text
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


# Runs in a process of its own, started afresh (not forked from pytest's, where other threads allocate through
# SQLite: a fork once held SQLite's memory mutex for good, and the test command waited on it without end; session
# 43). One threadless process serves every kill point of a test, forking a child for each: "PATH PREFIX KILL_AT" in,
# the number of statements run out.
_KILLER = """
import os, sqlite3, sys
from datasette_llm.embeddings.store import StoreTables, create_collection
for line in sys.stdin:
    path, prefix, kill_at = line.rstrip("\\n").split("\\t")
    kill_at = int(kill_at)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            conn, seen = sqlite3.connect(path), []
            def trace(statement):
                seen.append(statement)
                if len(seen) == kill_at:
                    os._exit(9)
            conn.set_trace_callback(trace)
            create_collection(conn, StoreTables(prefix), "docs", "model")
            os.write(write, str(len(seen)).encode())
            os._exit(0)
        finally:
            os._exit(1)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    count = os.read(read, 100).decode()
    os.close(read)
    print(os.waitstatus_to_exitcode(status), count or 0, flush=True)
"""


@pytest.fixture
def store_killed_at():
    """store_killed_at(path, prefix, kill_at): create_collection killed just before its statement number `kill_at`
    (0: never), as a crash leaves it: nothing after runs, nothing is cleaned up. Returns the statements run."""
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's plugin
    killer = subprocess.Popen(
        [sys.executable, "-c", _KILLER], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )

    def run(path, prefix: str, kill_at: int) -> int:
        killer.stdin.write(f"{path}\t{prefix}\t{kill_at}\n")
        killer.stdin.flush()
        code, count = killer.stdout.readline().split()
        assert int(code) == (9 if kill_at else 0), (kill_at, code)
        return int(count)

    yield run
    killer.stdin.close()
    killer.wait(timeout=60)


def _schema(path) -> list:
    with sqlite3.connect(path) as conn:
        tables = conn.execute("select type, name, sql from sqlite_master order by name").fetchall()
        migrations = (
            conn.execute("select count(*) from sqlite_master where name = '_sqlite_migrations'").fetchone()[0]
            and conn.execute("select migration_set, name from _sqlite_migrations order by id").fetchall()
        )
    return [tables, migrations]


@pytest.mark.parametrize("prefix", ["", "llm_"])
def test_storage_killed_at_any_statement_is_all_there_or_none_and_a_rerun_ends_as_a_clean_run(
    tmp_path, prefix, store_killed_at
):
    """Killed between two of its CREATEs, the first `embed` left `collections` without `embeddings` (refused by
    every later run), or storage without llm's migration records for good (an outside tester, session 40)."""
    clean = tmp_path / "clean.db"
    sqlite3.connect(clean).execute("create table notes (body text)").connection.close()
    statements = store_killed_at(clean, prefix, 0)
    assert statements >= 4
    for kill_at in range(1, statements + 1):
        path = tmp_path / f"killed-{kill_at}.db"
        sqlite3.connect(path).execute("create table notes (body text)").connection.close()
        store_killed_at(path, prefix, kill_at)
        with sqlite3.connect(path) as conn:
            names = {row[0] for row in conn.execute("select name from sqlite_master")}
        assert names == {"notes"} or {f"{prefix}collections", f"{prefix}embeddings"} <= names, (kill_at, names)
        store_killed_at(path, prefix, 0)
        assert _schema(path) == _schema(clean), kill_at


class _WarmingModel(ScriptedModel):
    """Reads a prefix as a local model would (the Ask page starts a warm-up that reads the schema), writing nothing."""

    prompt_cache = True

    def prepare_prefix(self, messages, options, should_stop=lambda: False) -> bool:
        self.calls.append(messages)
        return True


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_database_served_immutable_gains_no_file_beside_it(tmp_path, journal, monkeypatch):
    """Datasette opens a database served with `-i` as immutable; the plugin's own reads must too. Opened only
    read-only, a WAL-mode database got a -wal and a -shm file beside it (and write locks on them) at the first
    request of any kind, Datasette's own pages included (an outside tester's system-call oracle, session 43)."""
    import asyncio

    folder = tmp_path / "served"
    folder.mkdir()
    path = folder / "data.db"
    conn = sqlite3.connect(path)
    conn.execute(f"pragma journal_mode = {journal}")
    conn.execute("create table notes (id integer primary key, body text)")
    conn.execute("insert into notes (body) values ('one'), ('two')")
    conn.commit()
    conn.close()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    model = _WarmingModel([])
    monkeypatch.setattr("datasette_llm.web.ask.chat_model_for", lambda *a, **k: model)

    async def visit():
        ds = Datasette(immutables=[str(path)])
        await ds.invoke_startup()
        for url in ("/data", "/data/notes", "/data/notes.json", "/-/llm/schema.json?database=data", "/data/-/ask"):
            response = await ds.client.get(url)
            assert response.status_code == 200, (url, response.status_code)

    asyncio.run(visit())
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
