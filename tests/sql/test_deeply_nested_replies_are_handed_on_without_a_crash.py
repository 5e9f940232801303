"""A model's reply is untrusted text (SECURITY.md, "the plugin's own work on untrusted text"): a reply holding a
deeply nested expression must be read like any other, never end the request with an exception. sqlglot's parser
recurses once per level and raises RecursionError a few hundred levels down; sql/replies.py `_parses_as_query`
catches it with sqlglot's own errors. With RecursionError left out of that catch, the whole suite passed (an outside
tester's mutation run, session 53) while `SELECT ((((...1))))` of 500 levels, or `SELECT NOT NOT ... 1`, raised out
of extract_sql, which Ask calls on every reply.

Generated: SELECTs nested 300-1,900 levels deep (parentheses, NOT, unary minus in parentheses), bare, in a fence and
after prose. Oracle: extract_sql returns a string for each, and, since nothing parses, hands the broken SELECT on
as written (its documented fallback: "broken SQL is still worth handing to the validator").
"""

from __future__ import annotations

import pytest

from datasette_llm.sql.replies import extract_sql

pytestmark = pytest.mark.no_datasette


def nested(kind: str, depth: int) -> str:
    if kind == "parens":
        return "select " + "(" * depth + "1" + ")" * depth
    if kind == "not":
        return "select " + "not " * depth + "1"
    return "select " + "-(" * depth + "1" + ")" * depth


@pytest.mark.parametrize("kind", ["parens", "not", "minus"])
def test_a_deeply_nested_select_is_handed_on_without_an_exception(kind):
    for depth in (300, 700, 1_300, 1_900):
        query = nested(kind, depth)
        for reply in (query, f"```sql\n{query};\n```", f"Here it is:\n{query}"):
            found = extract_sql(reply)  # must not raise
            assert isinstance(found, str)
            assert found in ("", query), (kind, depth, found[:40])
        assert extract_sql(f"```sql\n{query};\n```") == query, (kind, depth)
