"""Keeping an Ask result (issue 18, part 2): Save as query and the CSV / JSON downloads, on 0.65 and 1.0.

On Datasette 1.0 alphas with stored queries an actor allowed `store-query` saves through Datasette's own API;
everyone else (and everyone on 0.65) gets a canned-query snippet, which is checked by pasting it into a new
Datasette's configuration and running the query it defines.
"""

import csv
import io
import json

import pytest
import sqlite_utils
import yaml
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1, only_datasette_065, only_datasette_1

import datasette_llm.web.ask as web_ask
from datasette_llm.keep import canned_query_yaml, query_name

QUESTION = "How many releases were published each year?"
SQL = "select year, count(*) as releases from releases group by year order by year"
ROWS = [[2023, 2], [2024, 1]]
KEEPER = {"id": "keeper"}


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "db.db"
    db = sqlite_utils.Database(path)
    db["releases"].insert_all([{"id": 1, "year": 2023}, {"id": 2, "year": 2023}, {"id": 3, "year": 2024}], pk="id")
    db.create_view("how-many-releases-were-published-each-year", "select 1")  # the first name is taken
    db.close()
    return path


@pytest.fixture(autouse=True)
def model(monkeypatch):
    monkeypatch.setattr(web_ask, "chat_model_for", lambda settings: ScriptedModel([sql_reply(SQL), "Two years."]))


def make(db_path, blocks: dict) -> Datasette:
    """A Datasette with permission blocks where each version reads them (config on 1.0, metadata on 0.65)."""
    blocks = {"plugins": {"datasette-llm": {"warm_up": False}}, **blocks}
    return Datasette([str(db_path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))


def signed_in(ds, actor) -> dict:
    """Cookies and headers of a signed-in browser on this site (0.65's CSRF token, 1.0's Sec-Fetch-Site)."""
    if not actor:
        return {}
    token = ds.sign("token", "csrftoken")
    return {
        "cookies": {"ds_actor": ds.sign({"a": actor}, "actor"), "ds_csrftoken": token},
        "headers": {"x-csrftoken": token, "Sec-Fetch-Site": "same-origin"},
    }


async def ask(ds, actor=None) -> dict:
    response = await ds.client.post("/db/-/ask.json", json={"question": QUESTION}, **signed_in(ds, actor))
    assert response.status_code == 200, response.text
    return response.json()


def test_query_names_come_from_the_question():
    assert query_name(QUESTION) == "how-many-releases-were-published-each-year"
    assert query_name("Top 5 repos by stars? (2024)") == "top-5-repos-by-stars-2024"
    assert query_name("???") == "ask-query"
    assert len(query_name("word " * 40)) <= 60


def test_the_snippet_is_yaml_with_the_question_as_title():
    snippet = canned_query_yaml("db", "top", 'Which "best" repos: a test?', "SELECT\n  name\nFROM repos")
    assert "sql: |" in snippet  # formatted SQL stays readable
    assert yaml.safe_load(snippet) == {
        "databases": {
            "db": {"queries": {"top": {"title": 'Which "best" repos: a test?', "sql": "SELECT\n  name\nFROM repos"}}}
        }
    }


@pytest.mark.asyncio
async def test_downloads_are_datasettes_own_csv_and_json(db_path):
    ds = make(db_path, {})
    result = await ask(ds)
    assert result["rows"] == ROWS
    downloads = result["downloads"]
    assert downloads["csv"].startswith("/db/-/query.csv?sql=" if DATASETTE_1 else "/db.csv?sql=")
    as_csv = await ds.client.get(downloads["csv"])
    assert as_csv.status_code == 200
    assert list(csv.reader(io.StringIO(as_csv.text))) == [["year", "releases"], ["2023", "2"], ["2024", "1"]]
    as_json = await ds.client.get(downloads["json"])
    assert as_json.status_code == 200 and as_json.json()["rows"] in (ROWS, [dict(year=y, releases=n) for y, n in ROWS])


@pytest.mark.asyncio
async def test_no_downloads_for_actors_who_may_not_run_sql(db_path):
    ds = make(db_path, {"databases": {"db": {"allow_sql": KEEPER}}, "plugins": {"datasette-llm": {"allow_ask": True}}})
    result = await ask(ds)
    assert result["rows"] == ROWS and result["downloads"] is None and result["edit_sql_url"] is None
    assert result["save_query"]["mode"] == "snippet"  # the SQL is on the page anyway
    assert (await ask(ds, KEEPER))["downloads"] is not None


@pytest.mark.asyncio
async def test_the_snippet_pasted_into_the_configuration_is_a_working_query(db_path):
    ds = make(db_path, {})
    save = (await ask(ds))["save_query"]
    assert save["mode"] == "snippet" and save["file"] == ("datasette.yaml" if DATASETTE_1 else "metadata.yml")
    assert save["name"] == "how-many-releases-were-published-each-year-2"  # the view has the first name
    pasted = yaml.safe_load(save["yaml"])
    query = pasted["databases"]["db"]["queries"][save["name"]]
    assert query["title"] == QUESTION and "GROUP BY" in query["sql"]
    kept = make(db_path, pasted)
    response = await kept.client.get(f"/db/{save['name']}.json?_shape=array")
    assert response.status_code == 200, response.text
    assert [[row["year"], row["releases"]] for row in response.json()] == ROWS
    page = await kept.client.get(f"/db/{save['name']}")
    assert QUESTION in page.text


@only_datasette_065
@pytest.mark.asyncio
async def test_on_065_everyone_gets_the_snippet(db_path):
    ds = make(db_path, {})
    assert (await ask(ds, KEEPER))["save_query"]["mode"] == "snippet"


@only_datasette_1
@pytest.mark.asyncio
async def test_on_1_an_actor_allowed_to_store_queries_saves_through_datasettes_api(db_path):
    ds = make(db_path, {"databases": {"db": {"permissions": {"store-query": KEEPER}}}})
    assert (await ask(ds))["save_query"]["mode"] == "snippet"  # anonymous may not store queries
    save = (await ask(ds, KEEPER))["save_query"]
    assert save["mode"] == "store" and save["store_url"] == "/db/-/queries/store"
    assert save["query"]["title"] == QUESTION and save["query_url"] == f"/db/{save['query']['name']}"
    # What the page sends: JSON from this site, as the signed-in actor.
    body = {"query": {**save["query"], "is_private": True}}
    stored = await ds.client.post(save["store_url"], json=body, **signed_in(ds, KEEPER))
    assert stored.status_code == 201, stored.text
    assert stored.json()["query"]["title"] == QUESTION and stored.json()["query"]["owner_id"] == "keeper"
    rows = await ds.client.get(save["query_url"] + ".json?_shape=array", **signed_in(ds, KEEPER))
    assert [[row["year"], row["releases"]] for row in rows.json()] == ROWS
    # Private: nobody else sees it; and the next result suggests a name that is still free.
    other = await ds.client.get(save["query_url"] + ".json", **signed_in(ds, {"id": "other"}))
    assert other.status_code in (403, 404)
    assert (await ask(ds, KEEPER))["save_query"]["query"]["name"] == "how-many-releases-were-published-each-year-3"
    again = await ds.client.post(save["store_url"], json=body, **signed_in(ds, KEEPER))
    assert again.status_code == 400 and "exists" in json.dumps(again.json())


@pytest.mark.asyncio
async def test_the_suggested_name_tells_nothing_of_tables_or_queries_the_actor_may_not_see(db_path):
    """A hidden table (or a canned query the actor may not view) of the question's name made the name `-2`: a
    differential over the hidden thing, whose answers must be the same (an outside tester, session 19)."""
    first = "how-many-releases-were-published-each-year"
    hidden_view = {"databases": {"db": {"tables": {first: {"allow": {"id": "root"}}}}}}
    hidden_query = {"databases": {"db": {"queries": {f"{first}-2": {"sql": "select 1", "allow": {"id": "root"}}}}}}
    names = []
    for blocks in ({}, hidden_view, hidden_query):
        result = await ask(make(db_path, blocks))
        names.append(
            result["save_query"]["name"] if "name" in result["save_query"] else result["save_query"]["query"]["name"]
        )
    assert names[0] == f"{first}-2"  # the view is visible: taken
    assert names[1] == first  # hidden: as if it did not exist
    assert names[2] == f"{first}-2"  # the hidden query's name is not skipped either
    visible_query = {"databases": {"db": {"queries": {f"{first}-2": {"sql": "select 1"}}}}}
    result = await ask(make(db_path, visible_query))
    assert (result["save_query"].get("name") or result["save_query"]["query"]["name"]) == f"{first}-3"


@pytest.mark.asyncio
async def test_the_suggested_name_asks_about_tables_only_when_one_holds_it(db_path, monkeypatch):
    """Every table's permission was asked again for each Ask's links (2,000 tables cost as much as the schema,
    session 28): only a table or view of the name (or of a `-n` of it) needs the actor's view of the tables."""
    from datasette_llm import keep, permissions

    ds = make(db_path, {})
    calls = []
    real = permissions.visible_tables

    async def counting(*args, **kwargs):
        calls.append(args)
        return await real(*args, **kwargs)

    monkeypatch.setattr(permissions, "visible_tables", counting)
    assert (
        await keep.free_query_name(ds, None, "db", "Which releases are the newest?") == "which-releases-are-the-newest"
    )
    assert calls == []
    first = "how-many-releases-were-published-each-year"
    assert await keep.free_query_name(ds, None, "db", "How many releases were published each year?") == f"{first}-2"
    assert len(calls) == 1
