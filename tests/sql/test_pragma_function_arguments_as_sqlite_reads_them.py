"""The argument of a table-valued pragma function (pragma_table_info(...) and the others the policy allows) is
judged by the text the guard reads, so it must be a plain 'quoted' name: every other way of writing a name that
SQLite itself evaluates to a table or index (a blob literal, a number, a concatenation, char(), a cast ...; SQLite
is asked) is refused, even when the name is a visible one. A blob is the reason: x'736563726574' is the hidden table
`secret` to SQLite, while its digits are the name of a visible table. The optional second argument, the schema, is
accepted as 'main' (in any case) and SQLite's answer is unchanged; any other schema is refused, and so is a third
argument, which SQLite cannot compile (mutation testing, session 47: accepting non-literal arguments, refusing
('t', 'main') and accepting three arguments went unnoticed)."""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import PRAGMA_ARGUMENT, ReadPolicy
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

HEXED = b"secret".hex()
DDL = f"""
create table dogs (id integer primary key, name text, owner int references people(id));
create index dogs_name on dogs(name);
create table people (id integer primary key, name text);
create table "{HEXED}" (x);
create table "5" (y);
create table secret (pw text, salt text);
create index secret_pw on secret(pw);
"""
VISIBLE = {"dogs", "people", HEXED, "5"}


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.executescript(DDL)
    return connection


@pytest.fixture(scope="module")
def schema(conn):
    return SchemaInfo.from_connection(conn, include=VISIBLE, policy=ReadPolicy.from_connection(conn, VISIBLE))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _encodings(name: str) -> list[str]:
    return [
        f"x'{name.encode().hex()}'",
        f"cast(x'{name.encode().hex()}' as text)",
        f"{_literal(name[:1])} || {_literal(name[1:])}",
        f"char({', '.join(str(ord(ch)) for ch in name)})",
        f"lower({_literal(name.upper())})",
        f"({_literal(name)})",
        f"(select {_literal(name)})",
        *([name] if name.isdigit() else []),
    ]


def _sqlite_value(conn, expression):
    return conn.execute(f"select cast({expression} as text)").fetchone()[0]


CALLS = [(f"pragma_{pragma}", "dogs_name" if kind == "index" else "dogs") for pragma, kind in PRAGMA_ARGUMENT.items()]


def test_a_blob_is_another_name_to_sqlite(conn):
    assert _sqlite_value(conn, f"x'{HEXED}'") == "secret"
    names = {row[0] for row in conn.execute("select name from sqlite_master")}
    assert {"secret", HEXED} <= names


@pytest.mark.parametrize(("function", "name"), CALLS + [("pragma_table_info", HEXED), ("pragma_table_info", "5")])
def test_only_a_quoted_name_is_judged(conn, schema, function, name):
    literal = f"select * from {function}({_literal(name)})"
    assert isinstance(check_select(literal, schema), GuardedSQL), literal
    for expression in _encodings(name) + _encodings("secret"):
        value = _sqlite_value(conn, expression)
        assert value in (name, "secret"), expression  # the oracle: the name SQLite would describe
        sql = f"select * from {function}({expression})"
        assert not isinstance(check_select(sql, schema), GuardedSQL), sql


@pytest.mark.parametrize(("function", "name"), CALLS)
@pytest.mark.parametrize("database", ["main", "MAIN", "Main", "temp", "other"])
def test_the_schema_argument_may_be_main(conn, schema, function, name, database):
    sql = f"select * from {function}({_literal(name)}, {_literal(database)})"
    guarded = check_select(sql, schema)
    assert isinstance(guarded, GuardedSQL) == (database.lower() == "main"), (sql, guarded)
    if isinstance(guarded, GuardedSQL):
        expected = conn.execute(f"select * from {function}({_literal(name)})").fetchall()
        assert expected  # SQLite describes it
        assert conn.execute(guarded.sql).fetchall() == expected


@pytest.mark.parametrize(("function", "name"), CALLS)
@pytest.mark.parametrize("extra", ["", ", 'main', 'x'", ", 'main', 'main'", ", 'main', 'main', 'main'"])
def test_never_more_arguments_than_sqlite_compiles(conn, schema, function, name, extra):
    sql = f"select * from {function}({_literal(name)}{extra})"
    try:
        conn.execute("explain " + sql).fetchall()
        compiles = True
    except sqlite3.Error:
        compiles = False
    accepted = isinstance(check_select(sql, schema), GuardedSQL)
    assert accepted == compiles, (sql, compiles)
