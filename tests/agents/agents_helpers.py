"""Helpers shared by the agents tests (manifest, OpenAPI, query API, MCP). No tests live here.

Imported as `agents_helpers` (tests/agents/ is on sys.path: pytest puts tests/agents/conftest.py's folder there).

One test-only hook stands in for something outside this plugin: a bearer-token `actor_from_request` like
datasette-auth-tokens provides (Datasette 0.65 has no built-in API tokens): `Authorization: Bearer testtok_<id>`
signs in as {"id": <id>}. Not `dstok_`: Datasette 1.0 owns that prefix and refuses tokens it did not sign.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

from datasette import hookimpl
from datasette.app import Datasette
from datasette_versions import DATASETTE_1, metadata_to_config
from server_helpers import ARTIFACTS, free_port, stop, wait_for_http

HIDE_SECRET = {"databases": {"db": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}
NO_SQL = {"databases": {"db": {"allow_sql": {"id": "admin"}}}}
BIG_CELL = 100_000
BIG_ROWS = 50
TOKEN_PREFIX = "testtok_"

PLUGIN_SOURCE = """
from datasette import hookimpl

@hookimpl
def actor_from_request(datasette, request):
    auth = request.headers.get("authorization") or ""
    if auth.startswith("Bearer testtok_"):
        return {"id": auth[len("Bearer testtok_"):]}
"""


def bearer_hooks_module():
    """The in-process twin of PLUGIN_SOURCE, registered by the autouse fixture in tests/agents/conftest.py."""
    module = types.ModuleType("datasette_llm_agents_test_hooks")

    @hookimpl
    def actor_from_request(datasette, request):
        auth = request.headers.get("authorization") or ""
        if auth.startswith("Bearer " + TOKEN_PREFIX):
            return {"id": auth[len("Bearer " + TOKEN_PREFIX) :]}
        return None

    module.actor_from_request = actor_from_request
    return module


def bearer(actor_id: str) -> dict:
    return {"Authorization": f"Bearer {TOKEN_PREFIX}{actor_id}"}


def build_db(path: Path, *, big: bool = True) -> Path:
    """users <- repos (foreign key), docs (huge text cells), secret (admin only), a view."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        create table users (id integer primary key, name text not null);
        create table repos (id integer primary key, name text, owner integer references users(id),
                            stars integer, readme text);
        create table secret (id integer primary key, code text, owner integer references users(id));
        create table docs (id integer primary key, title text, body text);
        create view popular as select name, stars from repos where stars > 10;
        insert into users values (1, 'simon'), (2, 'natalie');
        insert into repos values (1, 'datasette', 1, 9000, 'An open source multi-tool'),
                                 (2, 'sqlite-utils', 1, 1500, 'CLI tool and library'),
                                 (3, 'dogsheep', 2, 5, 'Personal analytics');
        insert into secret values (1, 'hunter2', 1);
    """)
    rows = BIG_ROWS if big else 3
    size = BIG_CELL if big else 50
    conn.executemany(
        "insert into docs (title, body) values (?, ?)",
        [(f"doc {i}", (f"row {i} " + "lorem ipsum " * (size // 12 + 1))[:size]) for i in range(rows)],
    )
    conn.commit()
    conn.close()
    return path


def rows_fetched(row_chars: int, rows: int = BIG_ROWS) -> int:
    """How many rows of `row_chars` characters each run_select fetches before MAX_FETCH_CHARS stops it."""
    from datasette_llm.sql.clipping import MAX_FETCH_CHARS

    held = 0
    for n in range(1, rows + 1):
        held += row_chars
        if held > MAX_FETCH_CHARS:
            return n
    return rows


def datasette_for(path: Path, metadata: dict | None = None, plugin_config: dict | None = None, **settings) -> Datasette:
    metadata = json.loads(json.dumps(metadata or {}))
    if plugin_config:
        metadata.setdefault("plugins", {})["datasette-llm"] = plugin_config
    return Datasette([str(path)], metadata=metadata, settings=settings or None)


async def reads_as_sqlite(ds: Datasette, conn, sql: str, database: str = "db") -> list[list]:
    """The query API answers `sql` with 200 and the rows SQLite itself gives on `conn` (the oracle); those rows."""
    expected = [list(row) for row in conn.execute(sql)]
    response = await ds.client.post("/-/llm/query.json", json={"database": database, "sql": sql})
    assert response.status_code == 200, (sql, response.text[:300])
    assert response.json()["rows"] == expected, sql
    return expected


def actor_cookies(ds: Datasette, actor: dict | None) -> dict:
    return {"ds_actor": ds.sign({"a": actor}, "actor")} if actor else {}


@contextlib.contextmanager
def served(tmp_path: Path, db_path: Path, metadata: dict | None = None, *extra: str):
    """`datasette serve` on 127.0.0.1 (a free port) with the test hooks; yields the base URL."""
    plugins = tmp_path / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "agents_test_hooks.py").write_text(PLUGIN_SOURCE)
    # Datasette 1.0 reads allow_sql and permissions blocks only from its config (datasette.yaml or JSON).
    metadata, config = metadata_to_config(metadata, None) if DATASETTE_1 else (metadata, None)
    metadata_path = tmp_path / "metadata.json"
    metadata_path.write_text(json.dumps(metadata or {}))
    config_args = []
    if config:
        config_path = tmp_path / "datasette.json"
        config_path.write_text(json.dumps(config))
        config_args = ["--config", str(config_path)]
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / f"agents_datasette_{port}.log", "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "datasette",
                "serve",
                str(db_path),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--metadata",
                str(metadata_path),
                "--plugins-dir",
                str(plugins),
                *config_args,
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(base + "/-/versions.json", process, timeout=60)
            yield base
        finally:
            stop(process)


MCP_VERSION = "2025-06-18"


async def mcp_post(ds: Datasette, message, version: str = MCP_VERSION, headers: dict | None = None):
    """POST one JSON-RPC message, or a batch, to /-/mcp as an MCP client does (JSON, protocol `version`)."""
    return await ds.client.post(
        "/-/mcp",
        content=json.dumps(message).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "MCP-Protocol-Version": version,
            **(headers or {}),
        },
    )


def mcp_http_post(client, base: str, message, version: str = MCP_VERSION, headers: dict | None = None):
    """mcp_post over real HTTP: POST one JSON-RPC message, or a batch, to `base`/-/mcp with an httpx.Client."""
    return client.post(
        base + "/-/mcp",
        content=json.dumps(message).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "MCP-Protocol-Version": version,
            **(headers or {}),
        },
    )


async def mcp_tool(ds: Datasette, name: str, arguments: dict, headers: dict | None = None) -> dict:
    """The JSON-RPC `result` of one `tools/call` (an MCP tool's error is a result too: `isError`)."""
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    response = await mcp_post(ds, message, headers=headers)
    assert response.status_code == 200, response.text[:300]
    return response.json()["result"]
