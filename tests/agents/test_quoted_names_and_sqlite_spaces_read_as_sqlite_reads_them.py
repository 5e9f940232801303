"""sql/lexer.py follows SQLite's tokenizer for strings, quoted names and comments (SECURITY.md, SQL guard: "a lexer ...
that follows SQLite's own tokenising"). The suite checks that it refuses what SQLite would read otherwise; nothing
checked the other half, that it reads what SQLite reads: with the backtick left out of its quote characters, or a
character of SQLite's whitespace (space, tab, newline, form feed, carriage return) left out of its spaces, the whole
suite passed while every backtick-quoted name holding `;`, `--`, `/*`, a quote or a bracket, and every statement
with a form feed between its words, was refused (an outside tester's mutation run, session 52).

Generated: column names holding the characters SQLite's tokenizer treats specially, each quoted in every style
SQLite takes (`"..."`, `[...]`, backticks, doubled quotes inside), words separated by every character SQLite reads
as a space and by comments. Oracle: plain sqlite3 runs each statement; the query API must answer it with SQLite's
rows."""

from __future__ import annotations

import base64
import random
import sqlite3

import pytest
from agents_helpers import datasette_for, reads_as_sqlite

PIECES = [";", "--", "/*", "*/", "'", '"', "`", "[", "]", " ", "x", "é", "1"]
SQLITE_SPACES = [" ", "\t", "\n", "\f", "\r", "\r\n"]  # SQLite's tokenizer: these and nothing else
COMMENTS = ["/* c */", "-- c\n", "/**/"]


def quoted(name: str, style: str) -> str:
    if style == '"':
        return '"' + name.replace('"', '""') + '"'
    if style == "`":
        return "`" + name.replace("`", "``") + "`"
    return "[" + name + "]"


def styles(name: str) -> list[str]:
    return ['"', "`"] + (["["] if "]" not in name else [])


def make_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    for piece in PIECES:  # each special piece alone inside a name, then mixed
        names.append(f"a{piece}b")
    while len(names) < count:
        names.append("n" + "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4))))
    seen, out = set(), []
    for name in names:
        folded = name.lower()
        if folded not in seen:
            seen.add(folded)
            out.append(name)
    return out


@pytest.fixture
def table(tmp_path):
    rng = random.Random(5252)
    names = make_names(rng, 40)
    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key, " + ", ".join(quoted(n, '"') for n in names) + ")")
    for row in range(3):
        conn.execute(f"insert into t values ({row}, " + ", ".join(str(row * 100 + i) for i in range(len(names))) + ")")
    conn.commit()
    conn.close()
    return path, names


def gap(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return rng.choice(SQLITE_SPACES)
    if r < 0.85:
        return rng.choice(SQLITE_SPACES) + rng.choice(COMMENTS) + rng.choice(SQLITE_SPACES)
    return "".join(rng.choice(SQLITE_SPACES) for _ in range(3))


@pytest.mark.asyncio
async def test_every_quoting_of_odd_names_and_every_sqlite_space_is_answered_as_sqlite_answers(table):
    path, names = table
    ds = datasette_for(path)
    conn = sqlite3.connect(path)
    rng = random.Random(52)
    statements = []
    for name in names:  # every name in every quoting SQLite takes
        for style in styles(name):
            statements.append(f"select id, {quoted(name, style)} from t order by id")
    for _ in range(40):  # several names, spaces of every kind and comments between the words
        picked = rng.sample(names, 3)
        cols = [quoted(n, rng.choice(styles(n))) for n in picked]
        g = lambda: gap(rng)  # noqa: E731
        statements.append(
            f"select{g()}id,{g()}{cols[0]},{g()}{cols[1]}{g()}from{g()}t{g()}where{g()}{cols[2]}{g()}>={g()}0"
            f"{g()}order{rng.choice(SQLITE_SPACES)}by{g()}id"  # (a comment inside ORDER BY: refused, a finding)
        )
    for sql in statements:
        assert await reads_as_sqlite(ds, conn, sql), sql  # SQLite runs it: one read-only SELECT, with rows
    conn.close()


def as_json_cell(value):
    """A cell as the query API writes it (docs/http-api.md): blobs as {"$base64": true, "encoded": ...}."""
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode()}
    return value


@pytest.mark.asyncio
async def test_string_and_blob_literals_in_every_spelling_are_answered_as_sqlite_answers(table):
    """Blob literals are `x'..'` or `X'..'` for SQLite; strings hold `;`, `--`, `/*` and doubled quotes as data. With
    `X` left out of the lexer's blob prefixes, every upper-case blob literal was refused as "ambiguous quoting"."""
    path, _ = table
    ds = datasette_for(path)
    conn = sqlite3.connect(path)
    rng = random.Random(5253)
    statements = []
    for _ in range(60):
        items = []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.5:
                data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
                hexed = data.hex()
                hexed = "".join(c.upper() if rng.random() < 0.5 else c for c in hexed)
                items.append(f"{rng.choice('xX')}'{hexed}'")
            else:
                text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 5)))
                items.append("'" + text.replace("'", "''") + "'")
        statements.append(f"select{gap(rng)}" + f",{gap(rng)}".join(items) + f"{gap(rng)}from t where id = 0")
    for sql in statements:
        expected = [[as_json_cell(v) for v in row] for row in conn.execute(sql)]
        assert len(expected) == 1, sql
        response = await ds.client.post("/-/llm/query.json", json={"database": "db", "sql": sql})
        assert response.status_code == 200, (sql, response.text[:300])
        assert response.json()["rows"] == expected, sql
    conn.close()


@pytest.mark.asyncio
async def test_bare_names_with_every_character_sqlite_takes_in_a_name(tmp_path):
    """SQLite's tokenizer reads a bare name as a letter or `_` (or any non-ASCII character) followed by letters,
    digits, `_`, `$` and non-ASCII characters. With `$` left out of the lexer's name characters, `a$b` was read as a
    name and a parameter, and refused ("parameters are not supported")."""
    rng = random.Random(5254)
    first = "abcxyzABZ_é"
    rest = "abcxyzABZ_0189$éß"
    names, seen = [], set()
    while len(names) < 30:
        name = rng.choice(first) + "".join(rng.choice(rest) for _ in range(rng.randint(1, 6)))
        if "$" not in name and rng.random() < 0.7:
            name += "$" + rng.choice(rest)
        if name.lower() not in seen and name.lower() not in ("id",):
            seen.add(name.lower())
            names.append(name)
    path = tmp_path / "bare.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key, " + ", ".join(quoted(n, '"') for n in names) + ")")
    conn.execute("insert into t values (1, " + ", ".join(str(i) for i in range(len(names))) + ")")
    conn.commit()
    ds = datasette_for(path)
    for name in names:
        sql = f"select id, {name} from t where {name} >= 0"
        await reads_as_sqlite(ds, conn, sql, "bare")  # SQLite reads the bare name
    conn.close()
