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
from hypothesis import example, given
from hypothesis import strategies as st
from sqlglot import exp

from datasette_llm.ask.pipeline import ask
from datasette_llm.sql.guard import check_select, check_select_off_loop
from datasette_llm.sql.parsing import MAX_JOINS, join_count, parse_one
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
def test_the_screens_count_bounds_the_parsers(clause):
    """Differential: the JOINs counted from the tokens, in linear time, are at least the JOINs in sqlglot's own tree
    with neither ON nor USING (SQLite's dialect gives those `ON TRUE`; these clauses never write it), whatever
    their kind: the JOINs its parser tries to nest are among them."""
    sql = f"SELECT * FROM {clause}"
    if join_count(DIALECT.tokenize(sql)) > MAX_JOINS + 2:
        return  # slow to parse: the steps test below covers those
    tree = sqlglot.parse_one(sql, read="sqlite")
    in_tree = 0
    for join in tree.find_all(exp.Join):
        on = join.args.get("on")
        in_tree += not join.args.get("using") and (on is None or (isinstance(on, exp.Boolean) and on.this is True))
    commas = sql.count(",")  # comma joins are Join nodes too, never nested
    assert join_count(DIALECT.tokenize(sql)) >= in_tree - commas, sql


@given(from_clauses())
@example(
    "t0"
    + "".join(f", (SELECT * FROM t0) c{i}" for i in range(16))
    + "".join(f" JOIN (SELECT * FROM t0) s{i}" for i in range(10))
)
def test_what_the_screen_accepts_takes_few_parser_steps(clause):
    """Generated FROM clauses of every kind of JOIN, with and without ON or USING, nested in subqueries: whatever
    the screen lets through, sqlglot's parser tries at most 2^(MAX_JOINS + 2) joins (counted by the parser's own
    calls, not by the screen's reading of the tokens: a chain of n JOINs without ON takes 2^(n + 1)). Without the
    screen this fails in a few examples."""
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
            assert "JOINs" in str(error)
            assert calls == []  # refused before the parser
            return
    # A comma join costs the parser 3 steps more, however many JOINs follow (never a doubling: 16 commas before 10
    # bare JOINs, 4,142 steps against 4,094 with none; a CI run's example, session 38).
    assert len(calls) <= 2 ** (MAX_JOINS + 2) + 3 * sql.count(","), sql


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
        assert bare + with_on > MAX_JOINS and "JOINs" in str(error)
    else:
        assert bare + with_on <= MAX_JOINS
    assert time.process_time() - started < 1.0


# A second outside tester's shapes (session 26), each of which a count of JOINs without ON took for one or none
# while sqlglot nested every JOIN: 14 of them took 1.1 s a parse, 17 took 6.5 s.
EVASIONS = {
    "alias natural": "SELECT count(*) FROM t " + " ".join("JOIN t AS natural" for _ in range(16)),
    "alias cross": "SELECT count(*) FROM t " + " ".join("JOIN t AS cross" for _ in range(16)),
    "table natural": "SELECT count(*) FROM t " + " ".join("JOIN main.natural" for _ in range(16)),
    "straight_join": "SELECT count(*) FROM t " + " ".join("STRAIGHT_JOIN t" for _ in range(16)),
    "ons after where": join_chain(16) + " WHERE 1 " + "ON " * 16,
    "ons in a second statement": join_chain(16) + "; " + "ON " * 16,
    "natural between": "SELECT 1 FROM t " + " ".join("NATURAL JOIN t JOIN t" for _ in range(8)),
}


@pytest.mark.parametrize("name", sorted(EVASIONS))
def test_no_spelling_of_a_long_join_chain_reaches_the_parser(name, schema):
    sql = EVASIONS[name]
    assert join_count(DIALECT.tokenize(sql)) >= 16
    started = time.process_time()
    with pytest.raises(sqlglot.errors.ParseError):
        parse_one(sql)
    verdict = check_select(sql, schema)
    assert isinstance(verdict, Rejection) and "JOINs" in verdict.reason, verdict
    assert time.process_time() - started < 0.5


def test_joins_with_their_ons_count_too():
    assert join_count(DIALECT.tokenize("select * from a join b join c on x on y")) == 2
    assert join_count(DIALECT.tokenize(join_chain(20))) == 20


# --- every way in ------------------------------------------------------------------------------------------


def test_the_guard_refuses_a_long_chain_before_parsing_it(schema):
    """An outside tester's statement (session 26): 20 JOINs without ON, 300 characters, took the parser minutes."""
    started = time.process_time()
    verdict = check_select(join_chain(20), schema)
    assert isinstance(verdict, Rejection) and verdict.kind == "parse_error"
    assert "20 JOINs" in verdict.reason
    assert time.process_time() - started < 1.0
    assert not isinstance(check_select(join_chain(MAX_JOINS), schema), Rejection)  # 8 are still fine


def test_the_query_apis_guard_refuses_it_at_once(schema):
    verdict = asyncio.run(check_select_off_loop(join_chain(24), schema))
    assert isinstance(verdict, Rejection) and "JOINs" in verdict.reason


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
    assert any("JOINs" in (attempt.error or "") for attempt in result.attempts), result.attempts
