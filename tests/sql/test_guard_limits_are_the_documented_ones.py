"""The guard's limits on calls SQLite cannot interrupt are the ones SECURITY.md promises, and each is where the
guard draws its line: a printf/format width or precision of exactly the documented number is accepted and one more
refused; a trim set of exactly the documented length is accepted and one more refused; a SELECT of exactly the
documented number of result columns is accepted and one more refused. SQLite accepts every one of these statements
(mutation testing, session 47: moving MAX_FORMAT_WIDTH or MAX_TRIM_CHARACTERS by one went unnoticed)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from datasette_llm.sql.functions import MAX_FORMAT_WIDTH, MAX_TRIM_CHARACTERS
from datasette_llm.sql.guard import check_select
from datasette_llm.sql.policy import MAX_RESULT_COLUMNS
from datasette_llm.sql.results import GuardedSQL, SchemaInfo

pytestmark = pytest.mark.no_datasette

SECURITY = (Path(__file__).resolve().parents[2] / "SECURITY.md").read_text(encoding="utf-8")
SCHEMA = SchemaInfo({"dogs": ("name",)})


def _documented(pattern: str) -> int:
    found = re.findall(pattern, SECURITY)
    assert len(set(found)) == 1, (pattern, found)
    return int(found[0].replace(",", ""))


FORMAT = _documented(r"literal format whose widths are at most ([\d,]+)")
TRIM = _documented(r"literal set of at most ([\d,]+) characters to remove")
COLUMNS = _documented(r"at most ([\d,]+) result columns")


def test_the_constants_are_the_documented_limits():
    assert (MAX_FORMAT_WIDTH, MAX_TRIM_CHARACTERS, MAX_RESULT_COLUMNS) == (FORMAT, TRIM, COLUMNS)


def _statements(limit_format: int, limit_trim: int, limit_columns: int) -> list[str]:
    return [
        f"select printf('%{limit_format}d', 1) from dogs",
        f"select printf('%.{limit_format}s', name) from dogs",
        f"select format('%-{limit_format}.{limit_format}f', 1.5) from dogs",
        "select trim(name, '" + "x" * limit_trim + "') from dogs",
        "select rtrim(name, '" + "é" * limit_trim + "') from dogs",
        "select " + ", ".join(["name"] * limit_columns) + " from dogs",
    ]


@pytest.fixture(scope="module")
def conn():
    connection = sqlite3.connect(":memory:")
    connection.execute("create table dogs (name text)")
    return connection


@pytest.mark.parametrize("index", range(6))
def test_the_line_is_drawn_at_the_documented_number(conn, index):
    at = _statements(FORMAT, TRIM, COLUMNS)[index]
    past = _statements(FORMAT + 1, TRIM + 1, COLUMNS + 1)[index]
    for sql in (at, past):
        conn.execute("explain " + sql)  # SQLite compiles both: the line is the guard's
    assert isinstance(check_select(at, SCHEMA), GuardedSQL), at
    assert not isinstance(check_select(past, SCHEMA), GuardedSQL), past
