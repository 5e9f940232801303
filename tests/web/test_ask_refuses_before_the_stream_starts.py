"""A question the plugin must refuse is refused before anything starts, on the JSON API and the event stream
alike: a 4xx with a JSON error, never a 200 stream that carries the refusal as an `error` event (by then the
pipeline has read the schema, and a client reads 200 as "asked").

Oracles outside the plugin: for `table`, Datasette's own answer for the same actor (`/db/{table}.json`: 200 means
the actor may view the table, anything else means the plugin answers 404); for `mode`, the values docs/http-api.md
lists (`auto`, `sql`, `text`, `both`; an empty value means auto)."""

import random
import string

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette.utils import tilde_encode
from examples_helpers import make_database, signed_in

import datasette_llm.web.ask as web_ask

ADMIN, ASKER = {"id": "admin"}, {"id": "asker"}
METADATA = {
    "databases": {"db": {"tables": {"secret": {"allow": ADMIN}, "diary": {"allow": {"id": "nobody"}}}}},
    "plugins": {"datasette-llm": {"warm_up": False, "allow_ask": {"id": ["asker", "admin"]}}},
}
DOCUMENTED_MODES = {"auto", "sql", "text", "both"}
ENDPOINTS = ("/db/-/ask.json", "/db/-/ask.stream")


@pytest.fixture
def ds(tmp_path, monkeypatch):
    path = make_database(tmp_path / "db.db")  # cats, secret
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("create table diary (id integer primary key, entry text)")
        conn.execute("create view cat_names as select name from cats")
    conn.close()
    model = ScriptedModel([sql_reply("select count(*) from cats")] * 200)
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: model)
    datasette = Datasette([str(path)], metadata=METADATA, secret="stream-refusals")
    datasette._test_model = model
    return datasette


def table_names():
    """The database's own names, and made-up ones beside them."""
    rng = random.Random(48)
    made_up = ["".join(rng.choice(string.ascii_lowercase + "_") for _ in range(rng.randint(1, 12))) for _ in range(6)]
    return ["cats", "secret", "diary", "cat_names", "sqlite_master", "sqlite_sequence", "nope", *made_up]


async def datasette_lets_view(ds, actor, table) -> bool:
    response = await ds.client.get(f"/db/{tilde_encode(table)}.json", **signed_in(ds, actor))
    return response.status_code == 200


def assert_refused_before_start(response, status, model, calls_before):
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    body = response.json()
    assert body["ok"] is False and body["status"] == status and body["error"]
    assert len(model.calls) == calls_before  # no model was asked


@pytest.mark.asyncio
@pytest.mark.parametrize("actor", [ASKER, ADMIN], ids=["asker", "admin"])
async def test_a_table_the_actor_may_not_view_is_a_404_before_any_stream(ds, actor):
    model = ds._test_model
    checked = 0
    for table in table_names():
        allowed = await datasette_lets_view(ds, actor, table)
        for path in ENDPOINTS:
            calls = len(model.calls)
            response = await ds.client.post(
                path, json={"question": "How many?", "table": table}, **signed_in(ds, actor)
            )
            if allowed:
                assert response.status_code == 200, (table, path, response.status_code, response.text[:300])
            else:
                assert_refused_before_start(response, 404, model, calls)
                checked += 1
    assert checked >= 2 * 6  # the family held denied and missing names for this actor


def modes():
    rng = random.Random(4848)
    made_up = ["".join(rng.choice(string.ascii_letters + " -") for _ in range(rng.randint(1, 8))) for _ in range(8)]
    near = ["SQL", "Auto", " sql", "text ", "both!", "hybrid", "semantic", "keyword", "all", "none"]
    return [
        m
        for m in near + made_up + [5, True, ["sql"], {"m": "sql"}]
        if not (isinstance(m, str) and m in DOCUMENTED_MODES)
    ]


@pytest.mark.asyncio
async def test_a_mode_the_docs_do_not_list_is_a_400_before_any_stream(ds):
    model = ds._test_model
    for mode in modes():
        for path in ENDPOINTS:
            calls = len(model.calls)
            response = await ds.client.post(
                path, json={"question": "How many cats?", "mode": mode}, **signed_in(ds, ASKER)
            )
            assert_refused_before_start(response, 400, model, calls)
    for mode in sorted(DOCUMENTED_MODES - {"text", "both"}) + [""]:  # text needs embeddings: its own test
        response = await ds.client.post(
            "/db/-/ask.stream", json={"question": "How many cats?", "mode": mode}, **signed_in(ds, ASKER)
        )
        assert response.status_code == 200, (mode, response.text[:300])
