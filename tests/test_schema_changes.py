"""A schema that changes while the plugin reads it never shows an actor what they may not see (sql/snapshot.py).

The oracle does not guess where a writer strikes: each test runs a surface once to count its reads of the
database, then once more for every read, with one change of the schema made just before that read (a view
swapped from a visible table to a hidden one, a hidden FTS table created, a hidden view dropped). Whatever the
surface answers, or refuses with a clear error, must not hold a hidden name or value. An outside tester found
the hidden rows in Ask prompts and MCP's describe_table by swapping a view every 20 ms (session 18).
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.agents.schema_api import describe_databases, describe_table
from datasette_llm.ask.schema import render_schema
from datasette_llm.ask.schema_tables import load_tables
from datasette_llm.errors import DatasetteLLMError
from datasette_llm.examples.check import viewer_tables
from datasette_llm.web.ask import example_questions

HIDDEN_MARKS = ("SSN-0001", "HIDVAL", "ssn_secret", "hid_col", "FTSVAL", "secfts", "vleak")

SWAPS = {
    # a visible view redefined to read the hidden table
    "view swapped": (
        "create view vpub as select a as x, b as y from pub",
        "drop view vpub; create view vpub as select ssn_secret as x, hid_col as y from secret",
    ),
    # a view renamed over the hidden table's columns, with the hidden columns' own names
    "view swapped with hidden names": (
        "create view vpub as select a, b from pub",
        "drop view vpub; create view vpub as select ssn_secret, hid_col from secret",
    ),
    # an FTS table created in a hidden name: its shadow tables are not listed as hidden yet
    "hidden fts created": (
        "select 1",
        "create virtual table secfts using fts5(body); insert into secfts (body) values ('FTSVAL42')",
    ),
    # a view hidden only because it reads the hidden table (no rule of its own), dropped
    "hidden view dropped": ("create view vleak as select ssn_secret from secret", "drop view vleak"),
}


def _database(tmp_path, setup: str) -> str:
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table pub (a text, b text); insert into pub values ('pub-a', 'pub-b');"
        "create table secret (ssn_secret text, hid_col text); insert into secret values ('SSN-0001', 'HIDVAL');"
    )
    conn.executescript(setup)
    conn.commit()
    conn.close()
    return str(path)


def _datasette(path: str) -> Datasette:
    hidden = {"allow": {"id": "admin"}}
    blocks = {"databases": {"data": {"tables": {name: hidden for name in ("secret", "secfts")}}}}
    # On 1.0 the rules are written in its configuration, as in datasette.yaml.
    return Datasette([path], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


async def _surfaces(ds) -> str:
    """Every surface that reads column lists or example rows itself, as one text."""
    out = []
    for read in (
        lambda: load_tables(ds, "data", None),
        lambda: describe_table(ds, None, "data", "vpub"),
        lambda: describe_table(ds, None, "data", "pub"),
        lambda: describe_databases(ds, None, "data"),
        lambda: example_questions(ds, None, "data", _settings(ds)),
        lambda: _viewer(ds),
    ):
        try:
            result = await read()
        except DatasetteLLMError as error:  # refused (404, or the schema changed: 503) is fine; a leak is not
            out.append(f"{error.status}: {error.message}")
            continue
        if isinstance(result, list) and result and hasattr(result[0], "render"):
            result = render_schema("data", result, len, 10**6).text
        out.append(json.dumps(result, default=repr))
    return "\n".join(out)


async def _viewer(ds):
    viewer = await viewer_tables(ds, None, "data")  # its `hidden` and `existing` are internal, never shown
    return {"visible": sorted(viewer.visible), "names": sorted(viewer.names), "sees_all": viewer.sees_all}


def _settings(ds):
    from datasette_llm.config import settings_for

    return settings_for(ds)


class _Reads:
    """Counts Datasette's reads of the database; makes the change just before read number `at`."""

    def __init__(self, db, path: str, change: str, at: int | None):
        self.count, self.at, self.path, self.change = 0, at, path, change
        self.original = db.execute_fn
        db.execute_fn = self

    async def __call__(self, fn):
        self.count += 1
        if self.count == self.at:
            writer = sqlite3.connect(self.path)
            writer.executescript(self.change)
            writer.commit()
            writer.close()
        return await self.original(fn)


@pytest.mark.asyncio
@pytest.mark.parametrize("swap", list(SWAPS))
async def test_one_schema_change_before_any_read_leaks_nothing(tmp_path, swap):
    setup, change = SWAPS[swap]
    path = _database(tmp_path, setup)
    counted = _datasette(path)
    reads = _Reads(counted.get_database("data"), path, change, None)
    before = await _surfaces(counted)
    assert "pub-a" in before and not any(mark in before for mark in HIDDEN_MARKS), before
    assert reads.count > 10
    await _change_before_each_read(
        tmp_path, reads.count, lambda folder: _database(folder, setup), _datasette, change, _surfaces, HIDDEN_MARKS
    )


async def _change_before_each_read(tmp_path, count: int, build, datasette, change: str, surfaces, marks):
    """For every read 1..count+1 a surface made (count them first, change None), a fresh database with `change`
    made just before that read: what the surfaces answer holds none of `marks`."""
    for at in range(1, count + 2):
        folder = tmp_path / f"run{at}"
        folder.mkdir()
        path = build(folder)
        ds = datasette(path)
        _Reads(ds.get_database("data"), path, change, at)
        seen = await surfaces(ds)
        leaked = [mark for mark in marks if mark in seen]
        assert not leaked, f"change before read {at}: {leaked} in\n{seen[:3000]}"


class _Churn(_Reads):
    """Changes the schema before every read: the view flips between the visible and the hidden table."""

    def __init__(self, db, path: str):
        super().__init__(db, path, "", None)
        self.flip = False

    async def __call__(self, fn):
        self.flip = not self.flip
        source = "select ssn_secret as x, hid_col as y from secret" if self.flip else "select a as x, b as y from pub"
        writer = sqlite3.connect(self.path)
        writer.executescript(f"drop view if exists vpub; create view vpub as {source}")
        writer.commit()
        writer.close()
        return await self.original(fn)


@pytest.mark.asyncio
async def test_a_schema_that_never_stops_changing_is_a_503_on_every_surface(tmp_path):
    """Pages and JSON alike answer 503 `schema_changed` (or their usual 404), never a 500 and never a hidden value
    (the Ask page answered 500 while a view was swapped every 20 ms; an outside tester, session 18)."""
    path = _database(tmp_path, SWAPS["view swapped"][0])
    ds = _datasette(path)
    _Churn(ds.get_database("data"), path)
    requests = [
        ("get", "/data/-/ask", None),
        ("get", "/data/-/ask?table=pub", None),
        ("get", "/-/llm/schema.json?database=data", None),
        ("get", "/-/llm/schema.json?database=data&table=vpub", None),
        ("get", "/data/pub/-/semantic-search", None),
        ("post", "/data/-/ask.json", {"question": "How many rows are in pub?"}),
    ]
    statuses = []
    for method, url, body in requests:
        if method == "get":
            response = await ds.client.get(url)
        else:
            response = await ds.client.post(url, json=body)
        assert response.status_code in (200, 404, 503), (url, response.status_code, response.text[:500])
        assert not any(mark in response.text for mark in HIDDEN_MARKS), (url, response.text[:500])
        if response.status_code == 503:
            assert "changed while it was being read" in response.text, (url, response.text[:500])
        statuses.append(response.status_code)
    assert statuses[:4] == [503] * 4  # each of these reads the schema


# Answers from text read rows themselves: the passages of the rows retrieval chose (or a query pinned), and the
# rows a question names. A writer who swaps the embedded table for a view of a hidden one between the choice and
# the read put the hidden rows in passages and prompts (an outside tester, 15 of 60 answers, session 33).
REPORT = "Lurow Bridge crosses the Quenna. " + "It is a stone bridge of many arches. " * 8 + "Ines Kellan designed it."
SECRET_REPORT = "HIDDENDESIGNER report: " + "SECRETTOKEN " * 40
TEXT_SWAP = (
    "drop table reports; create view reports as select id, title, length_m, report from secret_reports; "
    "update secret_reports set title = title"
)
TEXT_MARKS = ("HIDDENDESIGNER", "SECRETTOKEN")


def _text_database(folder, embedding_model) -> str:
    from datasette_llm.embeddings import embed_table

    path = folder / "data.db"
    conn = sqlite3.connect(path)
    # A figure of its own (length_m): Ask in mode auto writes SQL over it (a table of nothing but text would send
    # the question to the text at once: ask/text/document_rows.py), so the cut-text-row path is read too.
    conn.execute("create table reports (id integer primary key, title text, length_m integer, report text)")
    conn.execute("create table secret_reports (id integer primary key, title text, length_m integer, report text)")
    for number, title in enumerate(("Lurow Bridge", "Tanor Mill", "Leror Mine"), start=1):
        report = REPORT.replace("Lurow Bridge", title)
        conn.execute("insert into reports values (?, ?, ?, ?)", [number, title, 100 * number, report])
        conn.execute("insert into secret_reports values (?, ?, ?, ?)", [number, title, 100 * number, SECRET_REPORT])
    conn.commit()
    conn.close()
    embed_table(path, "reports", model=embedding_model)
    return str(path)


def _text_datasette(path: str) -> Datasette:
    blocks = {"databases": {"data": {"tables": {"secret_reports": {"allow": {"id": "admin"}}}}}}
    return Datasette([path], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


class _ReadsTheReport:
    """A model double: the query that shows the one report a title pins; an answer citing passage [1]."""

    def __new__(cls):
        from ask_helpers import ScriptedModel, sql_reply

        class Model(ScriptedModel):
            def _complete(self, messages, options, cancel):
                system = messages[0]["content"]
                if "numbered passages" in system or "query result" in system:
                    self.replies = ["Ines Kellan designed it [1]."]
                else:
                    self.replies = [sql_reply("select report from reports where title = 'Lurow Bridge'")]
                return super()._complete(messages, options, cancel)

        return Model([])


async def _text_surfaces(ds) -> str:
    """An answer from text, and a question whose query pins one long report (answered from its passages)."""
    from datasette_llm.ask.pipeline import ask

    out = []
    for mode in ("text", "auto"):
        model = _ReadsTheReport()
        try:
            result = await ask(ds, "data", "Who designed Lurow Bridge?", model=model, mode=mode)
        except DatasetteLLMError as error:
            out.append(f"{error.status}: {error.message}")
        else:
            out.append(json.dumps(result.to_json(), default=repr))
        out.append(json.dumps(model.calls))
    return "\n".join(out)


@pytest.mark.asyncio
async def test_one_schema_change_before_any_read_of_an_answer_from_text_leaks_nothing(tmp_path, embedding_model):
    path = _text_database(tmp_path, embedding_model)
    counted = _text_datasette(path)
    reads = _Reads(counted.get_database("data"), path, TEXT_SWAP, None)
    before = await _text_surfaces(counted)
    assert "Ines Kellan" in before and not any(mark in before for mark in TEXT_MARKS), before
    assert '"path": "text"' in before and "its text is longer than the answer reads" in before, before
    assert reads.count > 10
    await _change_before_each_read(
        tmp_path,
        reads.count,
        lambda folder: _text_database(folder, embedding_model),
        _text_datasette,
        TEXT_SWAP,
        _text_surfaces,
        TEXT_MARKS,
    )
