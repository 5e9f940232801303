"""A refused call of trim(), ltrim(), rtrim(), instr() or replace() names the function the model wrote (the
rejection's identifier and message), not the node sqlglot parsed it into (all three trims parse as one Trim node,
instr as StrPosition): the model fixes the call it wrote. Each call is one SQLite accepts, so the refusal is the
guard's own (mutation testing, session 47: naming every trim "trim", or instr "replace", went unnoticed)."""

from __future__ import annotations

import sqlite3

import pytest

from datasette_llm.sql.guard import check_select
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

SCHEMA = SchemaInfo({"dogs": ("name",)})
LONG = "'" + "x" * 500 + "'"
CALLS = [
    ("trim", f"trim(name, {LONG})"),
    ("ltrim", f"ltrim(name, {LONG})"),
    ("rtrim", f"rtrim(name, {LONG})"),
    ("ltrim", "LTRIM(name, hex(name))"),
    ("rtrim", '"rtrim"(name, hex(name))'),
    ("instr", "instr(name, hex(name))"),
    ("instr", "INSTR(name, name || hex(name))"),
    ("replace", "replace(name, hex(name), 'y')"),
    ("replace", "[replace](name, upper(hex(name)), 'y')"),
]


@pytest.mark.parametrize(("written", "call"), CALLS)
def test_the_refusal_names_the_written_function(written, call):
    sql = f"select {call} from dogs"
    conn = sqlite3.connect(":memory:")
    conn.execute("create table dogs (name text)")
    conn.execute("explain " + sql)  # SQLite compiles it: the refusal is the guard's
    rejection = check_select(sql, SCHEMA)
    assert not isinstance(rejection, GuardedSQL)
    assert rejection.kind == "forbidden_function"
    assert rejection.identifier == written
    assert rejection.reason.startswith(f"{written}():")
