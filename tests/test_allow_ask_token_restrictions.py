"""Datasette 1.0: an API token's restrictions bind where the plugin's `allow_ask` setting grants asking, as they
bind where a `permissions:` block does. allow_ask matching the token's actor must not let a token restricted to
other actions ask (mutation testing, session 46: can_ask returning `setting or allowed(llm-ask)` instead of
`setting and allowed(llm-ask)` passed the whole suite)."""

from __future__ import annotations

import itertools
import json

import pytest
import sqlite_utils
from ask_helpers import ScriptedModel, sql_reply
from datasette_versions import DATASETTE_1, DATASETTE_VERSION

if not DATASETTE_1:
    pytest.skip(f"needs Datasette 1.0 (installed: {DATASETTE_VERSION})", allow_module_level=True)

from datasette.app import Datasette  # noqa: E402
from datasette.tokens import TokenRestrictions  # noqa: E402

from datasette_llm import permissions  # noqa: E402

BOB = {"id": "bob"}
# Actions a token may be restricted to, beside the views it needs to see the database at all.
EXTRA = ["llm-ask", "execute-sql", "llm-teach"]


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "db.db"
    db = sqlite_utils.Database(path)
    db["items"].insert_all([{"id": i, "title": f"item {i}"} for i in range(3)], pk="id")
    db.close()
    return path


@pytest.fixture
def model(monkeypatch):
    import datasette_llm.ask.pipeline
    import datasette_llm.web.ask

    def scripted(*args, **kwargs):
        return ScriptedModel([sql_reply("select count(*) as n from items"), "There are 3 items."] * 3)

    monkeypatch.setattr(datasette_llm.web.ask, "chat_model_for", scripted)
    monkeypatch.setattr(datasette_llm.ask.pipeline, "chat_model_for", scripted)


def _config(where: str) -> dict:
    config = {"plugins": {"datasette-llm": {"warm_up": False, "max_rows": 50}}, "databases": {"db": {}}}
    if where == "instance":
        config["plugins"]["datasette-llm"]["allow_ask"] = {"id": "bob"}
    else:
        config["databases"]["db"]["plugins"] = {"datasette-llm": {"allow_ask": {"id": "bob"}}}
    return config


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["instance", "database"])
async def test_allow_ask_grants_asking_only_to_tokens_allowed_llm_ask(db_path, model, where):
    ds = Datasette([str(db_path)], config=json.loads(json.dumps(_config(where))), secret="s")
    await ds.invoke_startup()
    for size in range(len(EXTRA) + 1):
        for extra in itertools.combinations(EXTRA, size):
            for scope in ("all", "database"):
                restrictions = TokenRestrictions().allow_all("view-instance").allow_database("db", "view-database")
                restrictions = restrictions.allow_database("db", "view-table")
                for action in extra:
                    restrictions = (
                        restrictions.allow_all(action) if scope == "all" else restrictions.allow_database("db", action)
                    )
                token = await ds.create_token("bob", restrictions=restrictions)
                headers = {"Authorization": f"Bearer {token}"}
                response = await ds.client.post("/db/-/ask.json", json={"question": "How many items?"}, headers=headers)
                expected = 200 if "llm-ask" in extra else 403
                assert response.status_code == expected, (where, extra, scope, response.text[:300])
    # The unrestricted actor asks; the verdict function agrees with the page.
    assert await permissions.can_ask(ds, BOB, "db")
    cookies = {"ds_actor": ds.client.actor_cookie(BOB)}
    assert (await ds.client.post("/db/-/ask.json", json={"question": "How many?"}, cookies=cookies)).status_code == 200
