"""Every value SQLite returns reaches every JSON surface as it is: generated values (integers over the whole 64-bit
range, floats to the last bit and -0.0, text with NUL and any Unicode, blobs) are stored, read back by Python's
sqlite3 as the oracle, and compared with what Ask (JSON and the event stream's rows), the query API and MCP's
query tool return for the same SQL. The Ask page's table is checked in Chromium by
tests/web/browser/test_browser_rows.py.
"""

import base64
import json
import math
import sqlite3
import tempfile
from pathlib import Path

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datasette_llm.ask.pipeline
import datasette_llm.web.ask

SQL = "select v from t order by id"
values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([2**53 + 1, 2**63 - 1, -(2**63), 0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-0.0, 1.0, 0.1 + 0.2, 1e16, 5e-324, 1.7976931348623157e308]),
    st.text(max_size=60),
    st.sampled_from(["a\x00b", "007", "1e5", " 42 ", "١٢٣", "null", "\u202e1\u202c", ""]),
    st.binary(max_size=40),
)


def from_json(value):
    """A cell as the JSON surfaces write it, back as the Python value sqlite3 gives."""
    if isinstance(value, dict):
        assert set(value) == {"$base64", "encoded"} and value["$base64"] is True, value
        return base64.b64decode(value["encoded"])
    return value


def same(shown, stored) -> bool:
    """Equal, and of the same type (1 is not 1.0), -0.0 keeping its sign."""
    if type(shown) is not type(stored):
        return False
    if isinstance(stored, float):
        return shown == stored and math.copysign(1, shown) == math.copysign(1, stored)
    return shown == stored


def check(rows, stored, where: str):
    shown = [from_json(row[0]) for row in rows]
    assert len(shown) == len(stored), where
    for place, (a, b) in enumerate(zip(shown, stored)):
        assert same(a, b), (where, place, a, b)


# More than ANSWER_LIST_ROWS (10) rows: the table answers, so a question costs no answer stage (a second a
# question on a busy machine); the values are what is tested.
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(values, min_size=11, max_size=30))
@pytest.mark.asyncio
async def test_every_surface_returns_the_values_sqlite_returns(cells):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "data.db"
        with sqlite3.connect(path) as conn:
            conn.execute("create table t (id integer primary key, v)")
            conn.executemany("insert into t (v) values (?)", [(cell,) for cell in cells])
            stored = [value for (value,) in conn.execute(SQL)]
        conn.close()
        ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
        with pytest.MonkeyPatch.context() as patch:
            # Each request looks its model up once: a fresh one that writes SQL whatever it is asked.
            for module in (datasette_llm.ask.pipeline, datasette_llm.web.ask):
                patch.setattr(module, "chat_model_for", lambda *a, **k: ScriptedModel([sql_reply(SQL)] * 4))
            question = {"question": "Show every value", "mode": "sql"}
            asked = await ds.client.post("/data/-/ask.json", json=question)
            assert asked.status_code == 200, asked.text
            check(asked.json()["rows"], stored, "ask.json")
            streamed = await ds.client.post("/data/-/ask.stream", json=question)
            events = [block for block in streamed.text.split("\n\n") if block.startswith("event: rows")]
            check(json.loads(events[0].split("data: ", 1)[1])["rows"], stored, "ask.stream")
        queried = await ds.client.get("/-/llm/query.json", params={"database": "data", "sql": SQL})
        assert queried.status_code == 200, queried.text
        check(queried.json()["rows"], stored, "query.json")
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
        call["params"] = {"name": "query", "arguments": {"database": "data", "sql": SQL}}
        mcp = await ds.client.post(
            "/-/mcp",
            content=json.dumps(call),
            headers={
                "content-type": "application/json",
                "accept": "application/json, text/event-stream",
                "mcp-protocol-version": "2025-06-18",
            },
        )
        assert mcp.status_code == 200, mcp.text
        check(mcp.json()["result"]["structuredContent"]["rows"], stored, "MCP query")
