"""Invisible and control characters are refused only where SQLite would read them as part of a name: inside a
'string' or a comment they are data. Every such character (Unicode categories the guard refuses: all below U+3100,
and a few beyond it) inside a string literal is accepted and SQLite hands the string back unchanged; inside a -- or
/* */ comment the statement is accepted and runs. SQLite running the guarded statement is the oracle (mutation
testing, session 47: checking the characters of strings and comments too went unnoticed)."""

from __future__ import annotations

import sqlite3
import unicodedata

import pytest

from datasette_llm.sql.guard import _INVISIBLE_CATEGORIES, check_select
from datasette_llm.sql.lexer import _SQLITE_SPACE
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

SCHEMA = SchemaInfo({"dogs": ("id", "name")})
CHARACTERS = [
    chr(code)
    for code in [*range(1, 0x3100), 0xE000, 0xF8FF, 0xFEFF, 0xFFF9, 0xFFFB, 0xE0001, 0x10FFFD]
    if not 0xD800 <= code <= 0xDFFF  # surrogates cannot reach SQLite as UTF-8
    and unicodedata.category(chr(code)) in _INVISIBLE_CATEGORIES
    and chr(code) not in _SQLITE_SPACE
]


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.execute("create table dogs (id integer primary key, name text)")
    return connection


def test_the_family_is_the_characters_refused_in_names():
    refused = [ch for ch in CHARACTERS[::97] if not isinstance(check_select(f"select 1 as a{ch}b", SCHEMA), GuardedSQL)]
    assert refused == CHARACTERS[::97]  # outside strings and comments each of them is refused
    assert {unicodedata.category(ch) for ch in CHARACTERS} >= {"Cc", "Cf", "Zs", "Co", "Cn"}


@pytest.mark.parametrize("chunk", range(0, len(CHARACTERS), 100))
def test_inside_a_string_they_are_data(conn, chunk):
    for ch in CHARACTERS[chunk : chunk + 100]:
        value = f"a{ch}b"
        guarded = check_select(f"select '{value}' as v from dogs union all select '{value}'", SCHEMA)
        assert isinstance(guarded, GuardedSQL), (hex(ord(ch)), guarded)
        assert conn.execute(guarded.sql).fetchall() == [(value,)], hex(ord(ch))


@pytest.mark.parametrize("chunk", range(0, len(CHARACTERS), 100))
def test_inside_a_comment_they_are_data(conn, chunk):
    for ch in CHARACTERS[chunk : chunk + 100]:
        for sql in (f"select /* {ch} */ 7 as v", f"select 7 as v -- {ch}\n"):
            guarded = check_select(sql, SCHEMA)
            assert isinstance(guarded, GuardedSQL), (hex(ord(ch)), sql, guarded)
            assert conn.execute(guarded.sql).fetchall() == [(7,)], hex(ord(ch))
