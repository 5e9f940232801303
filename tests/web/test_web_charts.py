"""The `chart` of an Ask result over HTTP (JSON API and event stream) and MCP: a Vega-Lite spec or null."""

import json
import re
import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette

import datasette_llm.ask.pipeline
import datasette_llm.web.ask as web_ask
from datasette_llm.agents.mcp.tools import ask_tool

BAR_SQL = "select name, stars from repos order by stars desc"
NO_CHART_SQL = "select name, owner from repos"
ANSWER = "datasette has the most stars."


@pytest.fixture
def ds(tmp_path):
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            create table repos (id integer primary key, name text, owner text, stars integer);
            insert into repos values (1, 'datasette', 'simonw', 30), (2, 'llm', 'simonw', 20),
                                     (3, '<b>paper</b>', 'dogsheep', 5), (4, 'empty', 'x', null);
        """)
    # No warm-up: the page would read the schema into the real model in the background.
    return Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})


def use_model(monkeypatch, sql):
    model = ScriptedModel([sql_reply(sql), ANSWER])
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: model)
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", lambda *a, **k: model)
    return model


async def ask_json(ds, monkeypatch, sql) -> dict:
    use_model(monkeypatch, sql)
    response = await ds.client.post("/db/-/ask.json", json={"question": "Stars per repo?"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.asyncio
async def test_json_api_result_carries_a_chart_for_a_suitable_result(ds, monkeypatch):
    chart = (await ask_json(ds, monkeypatch, BAR_SQL))["chart"]
    assert chart["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
    assert chart["mark"]["type"] == "bar"
    assert chart["encoding"]["y"]["title"] == "name" and chart["encoding"]["x"]["title"] == "stars"
    # Only rows from the result, largest first; the row without a number is left out and noted.
    assert chart["data"]["values"] == [
        {"x": "datasette", "y": 30},
        {"x": "llm", "y": 20},
        {"x": "<b>paper</b>", "y": 5},
    ]
    assert chart["usermeta"]["datasette_llm"]["notes"] == ["1 of 4 rows not drawn: no number in stars"]


@pytest.mark.asyncio
async def test_json_api_chart_is_null_for_an_unsuitable_result(ds, monkeypatch):
    data = await ask_json(ds, monkeypatch, NO_CHART_SQL)
    assert data["rows"] and "chart" in data and data["chart"] is None


@pytest.mark.asyncio
async def test_stream_result_event_carries_the_chart(ds, monkeypatch):
    use_model(monkeypatch, BAR_SQL)
    response = await ds.client.post(
        "/db/-/ask.stream", json={"question": "Stars per repo?"}, headers={"accept": "text/event-stream"}
    )
    blocks = [b for b in response.text.strip().split("\n\n") if b.startswith("event: result")]
    result = json.loads(blocks[0].split("data: ", 1)[1])
    assert result["chart"]["mark"]["type"] == "bar" and len(result["chart"]["data"]["values"]) == 3


@pytest.mark.asyncio
async def test_mcp_ask_tool_charts_the_rows_it_returns(ds, monkeypatch):
    use_model(monkeypatch, BAR_SQL)
    data = await ask_tool(ds, None, {"database": "db", "question": "Stars per repo?"})
    assert data["chart"]["mark"]["type"] == "bar"
    drawn = {(p["x"], p["y"]) for p in data["chart"]["data"]["values"]}
    assert drawn <= {tuple(row) for row in data["rows"]}


@pytest.mark.asyncio
async def test_page_names_the_vendored_chart_scripts_and_they_are_served(ds):
    page = await ds.client.get("/db/-/ask")
    scripts = re.search(r'data-chart-scripts="([^"]*)"', page.text).group(1).split()
    assert [s.rsplit("/", 1)[1] for s in scripts] == ["vega-5.33.1.min.js", "vega-lite-5.23.0.min.js"]
    for script in scripts:
        response = await ds.client.get(script)
        assert response.status_code == 200 and len(response.content) > 100_000
