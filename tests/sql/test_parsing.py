"""Statements whose parse time explodes (JOINs without ON) are refused before sqlglot parses them, everywhere."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from unittest.mock import patch

import pytest
import sqlglot
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from hypothesis import given
from hypothesis import strategies as st
from sqlglot import exp

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.guard import check_select, check_select_off_loop
from datasette_llm.sql.parsing import MAX_BARE_JOINS, bare_joins, parse_one
from datasette_llm.sql.replies import extract_sql
from datasette_llm.sql.results import Rejection, SchemaInfo

DIALECT = sqlglot.Dialect.get_or_raise("sqlite")


def join_chain(n: int, table: str = "dogs") -> str:
    return f"SELECT count(*) FROM {table} " + " ".join(f"JOIN {table} d{i}" for i in range(n))


@pytest.fixture(scope="module")
def schema() -> SchemaInfo:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table dogs (id integer primary key, name text)")
    return SchemaInfo.from_connection(conn)


# --- the count, against sqlglot's own tree --------------------------------------------------------------------

JOIN_KINDS = ["JOIN", "JOIN", "JOIN", "INNER JOIN", "LEFT JOIN", "LEFT OUTER JOIN", "CROSS JOIN", "NATURAL JOIN"]
JOIN_KINDS += ["NATURAL LEFT JOIN", ","]


@st.composite
def from_clauses(draw, depth: int = 0):
    """A FROM clause of a few tables and JOINs of every kind, each with ON, USING or nothing, some tables a
    subquery with JOINs of its own."""
    parts = ["t0"]
    for n in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(JOIN_KINDS))
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            table = f"(SELECT * FROM {draw(from_clauses(depth + 1))}) s{depth}{n}"
        else:
            table = f"t{n + 1}" + draw(st.sampled_from(["", f" a{n}"]))
        constraint = ""
        if kind != "," and not kind.startswith(("CROSS", "NATURAL")):
            constraint = draw(st.sampled_from(["", "", "", f" ON t0.a = t{n + 1}.a", " USING (a)"]))
        parts.append(f"{kind} {table}{constraint}" if kind != "," else f", {table}")
    return " ".join(parts)


@given(from_clauses())
def test_the_screens_count_is_the_parsers(clause):
    """Differential: the count the screen reads from the tokens, in linear time, is the number of JOINs in
    sqlglot's own tree with neither ON nor USING (SQLite's dialect gives those `ON TRUE`; these clauses never
    write it) that are not CROSS or NATURAL: the JOINs its parser tries to nest."""
    sql = f"SELECT * FROM {clause}"
    if bare_joins(DIALECT.tokenize(sql)) > MAX_BARE_JOINS + 2:
        return  # slow to parse: the steps test below covers those
    tree = sqlglot.parse_one(sql, read="sqlite")
    in_tree = 0
    for join in tree.find_all(exp.Join):
        if join.args.get("using") or join.args.get("kind") == "CROSS" or join.args.get("method") == "NATURAL":
            continue
        on = join.args.get("on")
        in_tree += on is None or (isinstance(on, exp.Boolean) and on.this is True)
    assert bare_joins(DIALECT.tokenize(sql)) == in_tree, sql


@given(from_clauses())
def test_what_the_screen_accepts_takes_few_parser_steps(clause):
    """Generated FROM clauses of every kind of JOIN, with and without ON or USING, nested in subqueries: whatever
    the screen lets through, sqlglot's parser tries at most 2^(MAX_BARE_JOINS + 4) joins (counted by the parser's
    own calls, not by the screen's reading of the tokens: a chain of n JOINs without ON takes 2^(n + 1), and the
    screen's worst accepted in 3,000 random clauses took 1,850). Without the screen this fails in a few examples."""
    sql = f"SELECT * FROM {clause}"
    calls = []
    real = sqlglot.parser.Parser._parse_join

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    with patch.object(sqlglot.parser.Parser, "_parse_join", counted):
        try:
            parse_one(sql)
        except sqlglot.errors.ParseError as error:
            assert "JOINs without ON" in str(error)
            assert calls == []  # refused before the parser
            return
    assert len(calls) <= 2 ** (MAX_BARE_JOINS + 4), sql


@given(st.integers(0, 30), st.integers(0, 30))
def test_whatever_the_screen_accepts_parses_quickly(bare, with_on):
    """Generated chains of JOINs with and without ON: either refused by the screen, or parsed in well under a
    second of CPU (the screen's bound, 2^8 steps, is about 16 ms here)."""
    joins = [f"JOIN t t{i}" for i in range(bare)] + [f"JOIN t u{i} ON u{i}.a = 1" for i in range(with_on)]
    sql = "SELECT 1 FROM t " + " ".join(sorted(joins, key=hash))
    started = time.process_time()
    try:
        parse_one(sql)
    except sqlglot.errors.ParseError as error:
        assert bare > MAX_BARE_JOINS and "JOINs without ON" in str(error)
    else:
        assert bare <= MAX_BARE_JOINS
    assert time.process_time() - started < 1.0


def test_nested_joins_with_their_ons_after_them_are_not_bare():
    assert bare_joins(DIALECT.tokenize("select * from a join b join c on x on y")) == 0
    assert bare_joins(DIALECT.tokenize(join_chain(20))) == 20


def test_a_natural_joins_word_is_not_read_as_the_next_joins():
    """`NATURAL JOIN t JOIN t`, repeated: each plain JOIN is bare (12 pairs: 0.3 s of parsing, doubling on)."""
    sql = "SELECT 1 FROM t " + " ".join("NATURAL JOIN t JOIN t" for _ in range(12))
    assert bare_joins(DIALECT.tokenize(sql)) == 12
    assert bare_joins(DIALECT.tokenize("select * from a natural left outer join b cross join c")) == 0


# --- every way in ------------------------------------------------------------------------------------------


def test_the_guard_refuses_a_long_chain_before_parsing_it(schema):
    """An outside tester's statement (session 26): 20 JOINs without ON, 300 characters, took the parser minutes."""
    started = time.process_time()
    verdict = check_select(join_chain(20), schema)
    assert isinstance(verdict, Rejection) and verdict.kind == "parse_error"
    assert "20 JOINs without ON or USING" in verdict.reason
    assert time.process_time() - started < 1.0
    assert not isinstance(check_select(join_chain(MAX_BARE_JOINS), schema), Rejection)  # 8 are still fine


def test_the_query_apis_guard_refuses_it_at_once(schema):
    verdict = asyncio.run(check_select_off_loop(join_chain(24), schema))
    assert isinstance(verdict, Rejection) and "JOINs without ON" in verdict.reason


def test_a_reply_holding_a_long_chain_is_read_in_linear_time():
    started = time.process_time()
    extract_sql(f"Here you go:\n```sql\n{join_chain(24)};\n```")
    assert time.process_time() - started < 1.0


@pytest.mark.asyncio
async def test_ask_refuses_a_model_written_chain_without_parsing_it(tmp_path):
    """The model's SQL went through the mends (sql_fix, value hints, join checks) in a thread nothing stops: a
    24-JOIN reply kept a core busy for an hour after its client had left (an outside tester, session 26)."""
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("create table dogs (id integer primary key, name text)")
    conn.commit()
    conn.close()
    model = ScriptedModel([sql_reply(join_chain(24))] * 4)
    started = time.process_time()
    result = await ask(Datasette([str(path)]), "data", "How many dogs?", model=model, attempts=2)
    assert time.process_time() - started < 5.0
    assert not result.ok
    assert any("JOINs without ON" in (attempt.error or "") for attempt in result.attempts), result.attempts
