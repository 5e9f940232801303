"""What a build reads and what search finds again, for tables and queries as people write them (an outside tester,
session 54): a key column declared without a type, a generated text column, `--sql` typed with a trailing semicolon
or comment; and the keys no hit could name (a BLOB; a column named rowid in a table without a primary key, which
hides SQLite's own), refused with a clear message before any row is embedded."""

import sqlite3

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from search_helpers import use_fake_model

from datasette_llm.cli import llm
from datasette_llm.embeddings import embed_table
from datasette_llm.errors import BadRequest


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def database(tmp_path, *statements, rows=()):
    path = str(tmp_path / "data.db")
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
        for statement, values in rows:
            conn.executemany(statement, values)
    conn.close()
    return path


async def found_ids(path, table):
    ds = Datasette([path])
    response = await ds.client.get(
        "/-/semantic-search", params={"q": "walrus", "database": "data", "table": table, "mode": "semantic"}
    )
    assert response.status_code == 200, response.text
    return sorted(hit["id"] for hit in response.json()["hits"])


@pytest.mark.asyncio
@pytest.mark.parametrize("declared", ["id primary key", "id any primary key", "id blob primary key"])
@pytest.mark.parametrize("keys", [[0, 1, 2], [1.5, 2.25, -7], [10**15, -(2**62), 3]], ids=["ints", "reals", "big"])
async def test_a_key_without_a_type_finds_its_rows(tmp_path, fake_model, declared, keys):
    path = database(
        tmp_path,
        f"create table docs ({declared}, body text)",
        rows=[("insert into docs values (?, ?)", [(key, f"walrus number {n}") for n, key in enumerate(keys)])],
    )
    assert embed_table(path, "docs", model=fake_model).embedded == 3
    assert await found_ids(path, "docs") == sorted(str(key) for key in keys)


@pytest.mark.asyncio
async def test_text_keys_that_read_as_numbers_are_found_too(tmp_path, fake_model):
    path = database(
        tmp_path,
        "create table docs (id primary key, body text)",
        rows=[("insert into docs values (?, ?)", [("5", "walrus a"), ("05", "walrus b"), (6, "walrus c")])],
    )
    embed_table(path, "docs", model=fake_model)
    assert await found_ids(path, "docs") == ["05", "5", "6"]


def test_a_generated_text_column_is_embedded(tmp_path, fake_model):
    path = database(
        tmp_path,
        "create table docs (id integer primary key, title text, "
        "summary text generated always as ('walrus ' || upper(title)) virtual)",
        rows=[("insert into docs (title) values (?)", [("on ice",)])],
    )
    embed_table(path, "docs", model=fake_model, store=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select content from embeddings").fetchall() == [("on ice walrus ON ICE",)]
    embed_table(path, "docs", columns=["summary"], model=fake_model, store=True, collection="summaries")
    with sqlite3.connect(path) as conn:
        assert ("walrus ON ICE",) in conn.execute("select content from embeddings").fetchall()


@pytest.mark.parametrize("ending", [";", ";  \n", " -- every row", "; -- every row\n", "\n/* all */ ;"])
def test_cli_sql_typed_with_a_semicolon_or_comment_is_read(tmp_path, fake_model, ending):
    path = database(
        tmp_path,
        "create table docs (id integer primary key, body text)",
        rows=[("insert into docs (body) values (?)", [("alpha",), ("bravo",)])],
    )
    result = CliRunner().invoke(llm, ["embed", path, "docs", "--sql", "select id, body from docs" + ending])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from embeddings").fetchone() == (2,)


@pytest.mark.parametrize(
    "statements, message",
    [
        (["create table docs (uuid blob primary key, body text)"], "binary value"),
        (["create table docs (a text, uuid blob, body text, primary key (a, uuid))"], "binary value"),
        (["create table docs (uuid primary key, body text)"], "binary value"),
        (['create table docs ("rowid" text, body text)'], "column named rowid"),
        (['create table docs ("ROWID" integer, body text)'], "column named rowid"),
    ],
)
def test_keys_no_hit_could_name_are_refused_before_any_row_is_embedded(tmp_path, fake_model, statements, message):
    path = database(tmp_path, *statements)
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("pragma table_info(docs)")]
        values = {"uuid": b"\x01\x02", "a": "x", "body": "walrus", "rowid": None, "ROWID": 7}
        for n in range(3):
            row = [values[c] if c != "uuid" else bytes([n, 1]) for c in columns]
            conn.execute(f"insert into docs values ({', '.join('?' for _ in columns)})", row)
    conn.close()
    with pytest.raises(BadRequest, match=message):
        embed_table(path, "docs", model=fake_model)
    assert fake_model.texts_embedded == 0
    with sqlite3.connect(path) as conn:
        assert "embeddings" not in {row[0] for row in conn.execute("select name from sqlite_master")}
    result = CliRunner().invoke(llm, ["embed", path, "docs"])
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_a_binary_id_from_sql_is_refused(tmp_path, fake_model):
    path = database(
        tmp_path,
        "create table docs (id integer primary key, body text)",
        rows=[("insert into docs (body) values (?)", [("walrus",)])],
    )
    with pytest.raises(BadRequest, match="binary value"):
        embed_table(path, "docs", sql="select x'0102', body from docs", model=fake_model)


def _generated_keys(rng, count, integers_only=False):
    """Key values of every kind SQLite stores, each with its own text (the id a build stores is the value's str)."""
    makers = [
        lambda: rng.randint(-(2**63), 2**63 - 1),
        lambda: rng.randint(-50, 50),
        lambda: rng.choice([0.5, -2.25, 1e16, 3.0, 1e-7, 123456.789]) * rng.randint(1, 9),
        lambda: str(rng.randint(0, 999)),
        lambda: "0" + str(rng.randint(0, 99)),
        lambda: rng.choice(["walrus", "Ünïcode", "1e3", " 7", "-0", "1.50"]) + str(rng.randint(0, 9)),
    ]
    makers = makers[:2] if integers_only else makers  # `integer primary key` is the rowid
    keys, texts = [], set()
    while len(keys) < count:
        key = rng.choice(makers)()
        if str(key) not in texts:
            keys.append(key)
            texts.add(str(key))
    return keys


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(14))
async def test_every_row_embedded_is_found_whatever_its_keys_type(tmp_path, fake_model, seed):
    """Oracle: the rows themselves. Generated keys of every storage class in a key column of every affinity: every
    row the build embeds is a hit of a search that asks for all of them, under the id the build stored."""
    import random

    rng = random.Random(seed)
    declared = ["", "any", "blob", "integer", "real", "numeric", "text"][seed % 7]
    path = database(tmp_path, f"create table docs (id {declared} primary key, body text)")
    keys = _generated_keys(rng, 12, integers_only=declared == "integer")
    with sqlite3.connect(path) as conn:
        conn.executemany("insert or ignore into docs values (?, ?)", [(key, "walrus") for key in keys])
        stored = [str(row[0]) for row in conn.execute("select id from docs")]
    conn.close()
    summary = embed_table(path, "docs", model=fake_model)
    ds = Datasette([path])
    response = await ds.client.get(
        "/-/semantic-search",
        params={"q": "walrus", "database": "data", "table": "docs", "mode": "semantic", "limit": 50},
    )
    assert response.status_code == 200
    found = sorted(hit["id"] for hit in response.json()["hits"])
    assert summary.embedded == len(set(stored))
    assert found == sorted(set(stored)), (declared, sorted(set(stored)) and set(stored) - set(found))
