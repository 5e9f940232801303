"""A collection that matches no table (llm's own, or one built under another name with `--collection`) holds
its stored text in the plugin's storage tables, so semantic search covers it only for actors who may view the
storage table that holds it (embeddings/targets.py; SECURITY.md: the storage is denied to actors who may not
run SQL). Through GET /-/semantic-search, for a generated family of rules and actors; the oracle is Datasette's
own answer for the same actor on the storage table's page (`/data/{prefix}embeddings.json`)."""

import itertools
import json
import sqlite3

import pytest
from datasette.app import Datasette
from search_helpers import actor_cookies, make_table, use_fake_model

from datasette_llm.embeddings import embed_table

ACTORS = [None, {"id": "admin"}, {"id": "sqluser"}, {"id": "reader"}]
# Who may run SQL in `data` (the storage is theirs to view), and who may view `secret`.
SQL_RULES = [None, {"id": ["admin", "sqluser"]}, {"id": "admin"}, False]
SECRET_RULES = [None, {"id": "admin"}, False]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


@pytest.mark.parametrize("prefix", ["", "llm_"])
@pytest.mark.asyncio
async def test_an_unattached_collection_is_searched_only_by_who_may_view_its_storage(tmp_path, fake_model, prefix):
    path = tmp_path / "data.db"
    make_table(path, "docs", [{"id": i, "text": f"ordinary words number {i}"} for i in range(5)])
    make_table(path, "secret", [{"id": 1, "text": "zebra walrus classified memo"}])
    # The secret rows' text, stored, under a collection named after no table.
    embed_table(str(path), "secret", model=fake_model, collection="memo", store=True, table_prefix=prefix)
    embed_table(str(path), "docs", model=fake_model, table_prefix=prefix)
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("select name from sqlite_master")}
    conn.close()
    assert f"{prefix}embeddings" in names and "memo" not in names
    for sql_rule, secret_rule in itertools.product(SQL_RULES, SECRET_RULES):
        database = {}
        if sql_rule is not None:
            database["allow_sql"] = sql_rule
        if secret_rule is not None:
            database["tables"] = {"secret": {"allow": secret_rule}}
        metadata = {"databases": {"data": database}, "plugins": {"datasette-llm": {"table_prefix": prefix}}}
        ds = Datasette([str(path)], metadata=json.loads(json.dumps(metadata)))
        for actor in ACTORS:
            cookies = actor_cookies(ds, actor)
            storage = await ds.client.get(f"/data/{prefix}embeddings.json", cookies=cookies)
            assert storage.status_code in (200, 403), storage.text
            response = await ds.client.get(
                "/-/semantic-search?q=zebra+walrus+classified&database=data&mode=semantic&limit=20", cookies=cookies
            )
            assert response.status_code == 200, response.text
            data = response.json()
            may = storage.status_code == 200
            assert ("data/memo" in data["searched"]) == may, (sql_rule, secret_rule, actor, data["searched"])
            if not may:
                assert "classified" not in json.dumps(data["hits"]), (sql_rule, secret_rule, actor, data["hits"])
