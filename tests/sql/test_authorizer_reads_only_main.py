"""make_authorizer on its own refuses a read of any schema but main, whatever the table is called there: it is
the only wall of read_as_actor (no program check), and SQLite resolves an unqualified name in temp first
(mutation testing, session 46: `or` read as `and` let `aux.pub` through whenever pub is visible in main)."""

from __future__ import annotations

import sqlite3

import pytest
from sql_helpers import refused_by_the_authorizer_alone

from datasette_llm.sql.authorizer import make_authorizer
from datasette_llm.sql.policy import ReadPolicy

VISIBLE = {"pub", "dogs"}


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        "create table pub (id integer primary key, name text); insert into pub values (1, 'main');"
        "create table dogs (id integer primary key, name text); insert into dogs values (1, 'main');"
        "attach ':memory:' as aux;"
        "create table aux.pub (id integer primary key, name text); insert into aux.pub values (1, 'LEAK');"
        "create table aux.dogs (id integer primary key, name text); insert into aux.dogs values (1, 'LEAK');"
        "create temp table dogs (id integer primary key, name text); insert into temp.dogs values (1, 'LEAK');"
    )
    return connection


@pytest.mark.parametrize("table", sorted(VISIBLE))
@pytest.mark.parametrize("schema", ["aux", "temp"])
@pytest.mark.parametrize("shape", ["select name from {s}.{t}", "select * from {s}.{t}", "select max(id) from {s}.{t}"])
def test_a_visible_tables_name_in_another_schema_is_refused(conn, table, schema, shape):
    sql = shape.format(s=schema, t=table)
    if conn.execute(f"select count(*) from {schema}.sqlite_master where name = ?", (table,)).fetchone()[0] == 0:
        pytest.skip(f"no {schema}.{table}")
    conn.execute(sql).fetchall()  # SQLite itself reads it
    assert refused_by_the_authorizer_alone(conn, VISIBLE, sql, "select name from main.pub") == [("main",)]


@pytest.mark.parametrize("schema", ["aux", "temp", "main", None])
@pytest.mark.parametrize("table", sorted(VISIBLE))
def test_the_authorizer_answers_reads_by_schema(conn, schema, table):
    authorize = make_authorizer(ReadPolicy.from_connection(conn, VISIBLE))
    expected = sqlite3.SQLITE_OK if schema in (None, "main") else sqlite3.SQLITE_DENY
    assert authorize(sqlite3.SQLITE_READ, table, "name", schema, None) == expected


@pytest.mark.parametrize("table", sorted(VISIBLE))
@pytest.mark.parametrize("schema", ["aux", "temp"])
@pytest.mark.parametrize("pragma", ["table_info", "table_xinfo", "index_list", "foreign_key_list"])
def test_a_pragma_of_another_schema_is_refused(conn, table, schema, pragma):
    sql = f"select * from pragma_{pragma}('{table}', '{schema}')"
    conn.execute(sql).fetchall()  # SQLite itself answers it
    refused_by_the_authorizer_alone(conn, VISIBLE, sql, f"select * from pragma_{pragma}('{table}')")  # main's runs
