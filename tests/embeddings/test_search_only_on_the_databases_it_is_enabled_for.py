"""Search answers only for the databases the `databases` setting names (docs/reference/settings.md: "the databases
that get Ask and search (unset: all)"): a search of one database it does not name is a 404 that lists the
databases search may use, and a search of every database leaves it out; where the setting names it, its rows are
found. Generated over which databases are named and which one is searched; the oracle is the documented setting and
the rows each table holds (an outside tester's mutation run, session 48: the 404 could be dropped unnoticed)."""

from __future__ import annotations

import pytest
from datasette.app import Datasette
from search_helpers import make_table, use_fake_model

from datasette_llm.embeddings import embed_table

LISTS = [["one"], ["two"], ["one", "two"], None]


@pytest.fixture
def fake_model(monkeypatch):
    yield from use_fake_model(monkeypatch)


def two_databases(tmp_path, fake_model, enabled):
    """(Datasette on one.db and two.db, each with an embedded `docs` table, the databases search may use)."""
    paths = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.db"
        make_table(path, "docs", [{"id": i, "body": f"zebra river {name} {i}"} for i in range(3)])
        embed_table(str(path), "docs", columns=["body"], model=fake_model)
        paths.append(path)
    plugin = {"warm_up": False} if enabled is None else {"warm_up": False, "databases": enabled}
    ds = Datasette([str(p) for p in paths], metadata={"plugins": {"datasette-llm": plugin}})
    return ds, ["one", "two"] if enabled is None else enabled


@pytest.mark.asyncio
@pytest.mark.parametrize("enabled", LISTS, ids=repr)
async def test_a_search_of_a_database_search_is_not_enabled_for(tmp_path, fake_model, enabled):
    ds, named = two_databases(tmp_path, fake_model, enabled)
    for database in ("one", "two"):
        response = await ds.client.get(f"/-/semantic-search?q=zebra+river&database={database}&table=docs")
        if database in named:
            assert response.status_code == 200, response.text
            assert {hit["row"]["body"].split()[2] for hit in response.json()["hits"]} == {database}
        else:
            assert response.status_code == 404, response.text
            assert "not enabled" in response.json()["error"] and response.json()["databases"] == named
    everywhere = await ds.client.get("/-/semantic-search?q=zebra+river")
    assert everywhere.status_code == 200, everywhere.text
    assert {hit["row"]["body"].split()[2] for hit in everywhere.json()["hits"]} == set(named)


@pytest.mark.asyncio
@pytest.mark.parametrize("enabled", LISTS, ids=repr)
async def test_the_search_link_shows_only_where_search_is_enabled(tmp_path, fake_model, enabled):
    """Datasette's table page offers "Semantic search" (a table action) only on the databases search answers for."""
    ds, named = two_databases(tmp_path, fake_model, enabled)
    for database in ("one", "two"):
        page = await ds.client.get(f"/{database}/docs")
        assert page.status_code == 200
        assert (f"/{database}/docs/-/semantic-search" in page.text) == (database in named), (database, enabled)
