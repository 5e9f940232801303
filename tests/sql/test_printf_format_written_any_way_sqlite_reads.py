"""printf()/format() run only with a 'literal' format string of small widths, however else the model writes the
format: for formats with a width or precision over MAX_FORMAT_WIDTH (or `*`), every expression SQLite itself
evaluates to that very format (a blob literal, a number, a concatenation, char(), a cast, a subquery ...; SQLite
is asked) is refused, as the plain literal is; and the same encodings of a harmless format are refused too, since
only a 'literal' can be checked. One such call runs for many seconds and SQLite cannot interrupt it (mutation
testing, session 47: dropping the refusal of a non-literal format let `printf(x'252e2a63', 1000000000, 'x')`
through)."""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql.functions import MAX_FORMAT_WIDTH
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

WIDE = ["%.*c", f"%{MAX_FORMAT_WIDTH + 1}d", f"%.{MAX_FORMAT_WIDTH * 10}s", "%*d", f"%-0{MAX_FORMAT_WIDTH * 1000}c"]
HARMLESS = ["%d", "%5.2f", "n = %s"]
SCHEMA = SchemaInfo({"formats": ("f",)})


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _encodings(fmt: str) -> list[str]:
    hexed = fmt.encode().hex()
    return [
        f"x'{hexed}'",
        f"cast(x'{hexed}' as text)",
        " || ".join(_literal(ch) for ch in fmt),
        f"char({', '.join(str(ord(ch)) for ch in fmt)})",
        f"lower({_literal(fmt)})",
        f"({_literal(fmt)})",
        f"(select {_literal(fmt)})",
        f"coalesce(null, {_literal(fmt)})",
        f"{_literal(fmt)} collate nocase",
        "f",  # the column, holding the format
        *([fmt] if fmt.isdigit() else []),
    ]


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.execute("create table formats (f text)")
    return connection


def _sqlite_reads(conn, fmt, expression):
    """The text SQLite makes of `expression` as printf's format."""
    conn.execute("delete from formats")
    conn.execute("insert into formats values (?)", (fmt,))
    (value,) = conn.execute(f"select cast({expression} as text) from formats").fetchone()
    return value


@pytest.mark.parametrize("name", ["printf", "format"])
@pytest.mark.parametrize("fmt", WIDE + HARMLESS)
def test_only_a_literal_format_is_accepted(conn, name, fmt):
    literal = check_select(f"select {name}({_literal(fmt)}, 3, 'x') from formats", SCHEMA)
    assert isinstance(literal, GuardedSQL) == (fmt in HARMLESS), literal
    for expression in _encodings(fmt):
        assert _sqlite_reads(conn, fmt, expression) == fmt, expression  # the oracle: this is the format SQLite uses
        sql = f"select {name}({expression}, 3, 'x') from formats"
        assert not isinstance(check_select(sql, SCHEMA), GuardedSQL), sql


@pytest.mark.parametrize("width", [1, 7, MAX_FORMAT_WIDTH // 3, MAX_FORMAT_WIDTH])
def test_a_small_literal_format_runs_as_sqlite_formats_it(conn, width):
    sql = f"select printf('%{width}d|%.{width}s', 5, 'abc') as v from formats"
    guarded = check_select(sql, SCHEMA)
    assert isinstance(guarded, GuardedSQL), guarded
    conn.execute("delete from formats")
    conn.execute("insert into formats values ('x')")
    assert conn.execute(guarded.sql).fetchall() == conn.execute(sql).fetchall()
