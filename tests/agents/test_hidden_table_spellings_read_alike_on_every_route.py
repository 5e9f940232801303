"""A hidden table spelt in any way a client can spell a name (tilde-encoded as Datasette's URLs are, quoted, in
brackets or backticks, `main.`-qualified, with the database's name, in another ASCII case, with spaces around it, as
one of its FTS table's shadow tables) is answered on every route that takes a table name exactly as a name that
exists nowhere: the same status and the same body, byte for byte once timings are left out, in a world where the
hidden table exists (with other rows), in one where it is named otherwise, and in one without it. Outside tester
57n's differential over HTTP (6,600 generated requests x 4 worlds, both Datasette versions, --crossdb too) found no
difference; this keeps the name spellings it sent, which no earlier test sent to these routes."""

import json
import re
import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from search_helpers import use_fake_model

SPELLINGS = [
    "secret",
    "~73ecret",
    "[secret]",
    '"secret"',
    "`secret`",
    "main.secret",
    "data.secret",
    "SECRET",
    " secret",
    "secret ",
    "secret_fts",
    "secret_fts_data",
    "secret_fts_config",
    "secret_view",
    "~76ault",
]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def world(directory, kind):
    directory.mkdir()
    path = directory / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("create table pets (id integer primary key, name text)")
    conn.execute("insert into pets values (1, 'Rex')")
    hidden = {"A": "secret", "B": "secret", "C": "vault", "D": "zq_other"}[kind]
    conn.execute(f"create table {hidden} (id integer primary key, code text)")
    rows = [(1, "hunter2")] if kind == "A" else [(i, f"x{i}") for i in range(1, 6)]
    conn.executemany(f"insert into {hidden} values (?, ?)", rows)
    if kind != "D":
        conn.execute(f"create virtual table {hidden}_fts using fts5(code, content='{hidden}', content_rowid='id')")
        conn.execute(f"create view {hidden}_view as select code from {hidden}")
    conn.commit()
    conn.close()
    deny = {"allow": {"id": "admin"}}
    tables = {name: deny for name in (hidden, f"{hidden}_fts", f"{hidden}_view")}
    config = {"databases": {"data": {"tables": tables}}, "plugins": {"datasette-llm": {"warm_up": False}}}
    return Datasette([str(path)], **({"config": config} if DATASETTE_1 else {"metadata": config}))


def scrub(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return re.sub(r"\d+\.\d+", "<n>", text)

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in {"timings", "seconds"}}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(data), sort_keys=True)


async def answers(ds, spelling):
    out = []
    r = await ds.client.get("/-/llm/schema.json", params={"database": "data", "table": spelling})
    out.append((r.status_code, scrub(r.text)))
    r = await ds.client.get("/-/semantic-search", params={"q": "hunter2", "database": "data", "table": spelling})
    out.append((r.status_code, scrub(r.text)))
    r = await ds.client.post("/data/-/ask.json", json={"question": "what is the code?", "table": spelling})
    out.append((r.status_code, scrub(r.text)))
    result = await mcp_tool(ds, "describe_table", {"database": "data", "table": spelling})
    out.append(("mcp", scrub(json.dumps(result))))
    result = await mcp_tool(ds, "semantic_search", {"q": "hunter2", "database": "data", "table": spelling})
    out.append(("mcp", scrub(json.dumps(result))))
    return out


@pytest.mark.asyncio
async def test_every_spelling_of_a_hidden_name_reads_as_a_name_that_exists_nowhere(tmp_path, fake_model):
    worlds = {kind: world(tmp_path / kind, kind) for kind in "ABCD"}
    for spelling in SPELLINGS:
        seen = {kind: await answers(ds, spelling) for kind, ds in worlds.items()}
        assert seen["A"] == seen["B"] == seen["C"] == seen["D"], spelling
        assert all(status != 200 for status, _ in seen["A"] if status != "mcp"), (spelling, seen["A"])
