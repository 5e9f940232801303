"""A JSON body nested as deep as json.loads still reads is bad input like one nested deeper: a 400 (MCP: its parse
error), never a 500. Every reader of outside JSON checks that its strings are text right after parsing
(json_text.is_text, a json.dumps of the value), and that dump needs a few more levels of Python's recursion limit
than the parse did: at the depths between, it raised RecursionError, which nothing caught (a 500 `internal_error` on
ask.json, the query API, feedback and examples; Datasette's HTML 500 page on /-/mcp, which has no JSON error
wrapper). Found by an outside tester's scan of depths 850-1,100 (session 60). SECURITY.md, Web: "Errors are JSON
with the right status, never tracebacks".

Oracle: depth by depth, every answer is either what a shallow body gets or the 400 of a body too deep to parse.
"""

import pytest
from route_helpers import items_datasette

DEPTHS = range(850, 1_100)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


BODIES = {
    "/-/mcp": _nested,
    "/db/-/ask.json": lambda depth: '{"question": "x", "history": ' + _nested(depth) + "}",
    "/-/llm/query.json": lambda depth: '{"database": "db", "sql": "select 1", "x": ' + _nested(depth) + "}",
    "/-/llm/db/feedback": lambda depth: '{"verdict": "sideways", "x": ' + _nested(depth) + "}",
    "/-/llm/db/examples": lambda depth: '{"question": "q", "x": ' + _nested(depth) + "}",
}


@pytest.mark.asyncio
@pytest.mark.parametrize("path", list(BODIES))
async def test_no_depth_of_nesting_is_a_server_error(tmp_path, path):
    ds = items_datasette(tmp_path, rows=1)
    statuses = {}
    for depth in DEPTHS:
        response = await ds.client.post(path, content=BODIES[path](depth), headers={"Content-Type": "application/json"})
        statuses.setdefault(response.status_code, depth)
        assert response.status_code < 500, (path, depth, response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith("application/json"), (path, depth)
        if response.status_code == 400 and ("not valid JSON" in response.text or "Parse error" in response.text):
            break  # too deep for json.loads itself: every deeper body is this same 400
    else:
        pytest.fail(f"{path}: no depth up to {DEPTHS[-1]} was too deep to parse: {statuses}")
