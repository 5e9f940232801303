"""What the plugin reads at a schema version is read in ONE read transaction (sql/snapshot.py `at_version`): a writer
that changes the schema right after the version was checked, and before the columns and example rows are read,
changes nothing the read sees. tests/test_schema_changes.py changes the schema between two reads; this one changes
it inside one, between the check and the read, on a database in WAL mode (where a writer never waits for readers).

For every check of the version a request makes (counted first), a fresh database whose visible view `vpub` is
redefined to read the hidden table just after that check; MCP `describe_table` and `/-/llm/schema.json` must not
show a hidden value. The oracle is SQLite: after the change, the view really reads the hidden rows (checked on the
file), so any of them in a response came through the plugin's own read.
(Mutation testing, session 50: `at_version` without its BEGIN, or with `own` inverted, passed every test.)
"""

from __future__ import annotations

import sqlite3

import pytest
from agents_helpers import mcp_tool
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.sql import snapshot

HIDDEN = ("SSN-0001", "HIDVAL")
SWAP = "drop view vpub; create view vpub as select ssn_secret as x, hid_col as y from secret"


def _database(folder) -> str:
    path = folder / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("pragma journal_mode=wal")
    conn.executescript(
        "create table pub (a text, b text); insert into pub values ('pub-a', 'pub-b');"
        "create table secret (ssn_secret text, hid_col text); insert into secret values ('SSN-0001', 'HIDVAL');"
        "create view vpub as select a as x, b as y from pub;"
    )
    conn.commit()
    conn.close()
    return str(path)


def _datasette(path: str) -> Datasette:
    blocks = {"databases": {"data": {"tables": {"secret": {"allow": {"id": "admin"}}}}}}
    return Datasette([path], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


class _ChangeAfterCheck:
    """Wraps snapshot.schema_version: after its call number `at`, a writer swaps the view (then reads go on)."""

    def __init__(self, monkeypatch, path: str, at: int | None):
        self.count, self.at, self.path = 0, at, path
        self.original = snapshot.schema_version
        monkeypatch.setattr(snapshot, "schema_version", self)

    def __call__(self, conn):
        version = self.original(conn)
        self.count += 1
        if self.count == self.at:
            writer = sqlite3.connect(self.path, timeout=0.2)
            writer.executescript(SWAP)
            writer.commit()
            writer.close()
        return version


async def _responses(ds) -> str:
    out = []
    for table in ("vpub", "pub"):
        result = await mcp_tool(ds, "describe_table", {"database": "data", "table": table})
        out.append(str(result))
        response = await ds.client.get(f"/-/llm/schema.json?database=data&table={table}")
        out.append(response.text)
    return "\n".join(out)


@pytest.mark.asyncio
async def test_a_change_between_the_check_and_the_read_is_not_read(tmp_path, monkeypatch):
    first = tmp_path / "count"
    first.mkdir()
    path = _database(first)
    counter = _ChangeAfterCheck(monkeypatch, path, None)
    before = await _responses(_datasette(path))
    assert "pub-a" in before and not any(mark in before for mark in HIDDEN), before[:2000]
    assert counter.count >= 2, counter.count  # the surfaces check the version before they read
    for at in range(1, counter.count + 1):
        folder = tmp_path / f"run{at}"
        folder.mkdir()
        path = _database(folder)
        monkeypatch.undo()
        _ChangeAfterCheck(monkeypatch, path, at)
        seen = await _responses(_datasette(path))
        # the oracle: the view now really reads the hidden rows
        assert sqlite3.connect(path).execute("select x from vpub").fetchall() == [("SSN-0001",)]
        leaked = [mark for mark in HIDDEN if mark in seen]
        assert not leaked, f"change after version check {at}: {leaked} in\n{seen[:3000]}"
