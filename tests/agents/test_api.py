"""The HTTP API for other assistants: manifest, OpenAPI spec, schema and size-capped query endpoints."""

import json
import re
import sqlite3

import pytest
import yaml
from agents_helpers import (
    BIG_CELL,
    HIDE_SECRET,
    NO_SQL,
    actor_cookies,
    bearer,
    build_db,
    datasette_for,
    rows_fetched,
)
from datasette.app import Datasette
from openapi_spec_validator import validate

from datasette_llm.agents.query_api import cap_rows
from datasette_llm.sql.clipping import CLIP_MARKER
from datasette_llm.web.agents import skip_csrf


@pytest.fixture
def db_path(tmp_path):
    return build_db(tmp_path / "db.db")


@pytest.fixture
def ds(db_path):
    return datasette_for(db_path, HIDE_SECRET)


# Manifest ---------------------------------------------------------------------------------------------------


MANIFEST_FIELDS = (
    "schema_version",
    "name_for_human",
    "name_for_model",
    "description_for_human",
    "description_for_model",
    "auth",
    "api",
    "logo_url",
    "contact_email",
    "legal_info_url",
)


@pytest.mark.asyncio
async def test_manifest_fields_and_urls(ds):
    response = await ds.client.get("/.well-known/ai-plugin.json")
    assert response.status_code == 200
    manifest = response.json()
    assert set(MANIFEST_FIELDS) <= set(manifest)
    assert manifest["schema_version"] == "v1"
    assert manifest["auth"] == {"type": "none"}
    assert manifest["api"]["type"] == "openapi"
    assert manifest["api"]["url"] == "http://localhost/-/llm/openapi.json"
    assert manifest["logo_url"] == "http://localhost/-/llm/logo.svg"
    assert len(manifest["name_for_human"]) <= 20 and len(manifest["description_for_human"]) <= 100
    assert manifest["name_for_model"].replace("_", "").isalnum()
    model_text = manifest["description_for_model"]
    assert len(model_text) <= 8000
    for taught in ("getSchema first", "LIMIT", "truncated", "note", "Never invent rows", "100 rows", "20,000"):
        assert taught in model_text
    vary = response.headers["vary"].split(", ")
    assert "X-Forwarded-Host" not in vary  # not read, so it changes nothing
    assert "Host" in vary  # its URLs come from Host: a cache must not mix hosts
    # ...and from the scheme, which uvicorn takes from X-Forwarded-Proto when its proxy is on 127.0.0.1 (a cache
    # gave an https:// manifest to http:// requests: an outside tester, session 46)
    assert "X-Forwarded-Proto" in vary
    logo = await ds.client.get("/-/llm/logo.svg")
    assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")
    assert logo.text.lstrip().startswith("<svg")


@pytest.mark.asyncio
async def test_manifest_honours_base_url_and_forwarded_headers(db_path):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "data.example.com"}
    untrusted = datasette_for(db_path, base_url="/prefix/")
    for path in ("/.well-known/ai-plugin.json", "/-/llm/openapi.json", "/-/llm/openapi.yaml"):
        response = await untrusted.client.get(path, headers=headers)
        assert response.status_code == 200 and "data.example.com" not in response.text  # any client can send them
    manifest = (await untrusted.client.get("/.well-known/ai-plugin.json", headers=headers)).json()
    assert manifest["api"]["url"] == "http://localhost/prefix/-/llm/openapi.json"
    ds = datasette_for(db_path, plugin_config={"trust_forwarded_headers": True}, base_url="/prefix/")
    response = await ds.client.get("/.well-known/ai-plugin.json", headers=headers)
    assert "X-Forwarded-Host" in response.headers["vary"]
    manifest = response.json()
    assert manifest["api"]["url"] == "https://data.example.com/prefix/-/llm/openapi.json"
    assert manifest["logo_url"] == "https://data.example.com/prefix/-/llm/logo.svg"
    spec = (await ds.client.get("/-/llm/openapi.json", headers=headers)).json()
    assert spec["servers"] == [{"url": "https://data.example.com/prefix"}]
    # Junk in the forwarded headers is ignored rather than echoed.
    manifest = (
        await ds.client.get(
            "/.well-known/ai-plugin.json", headers={"X-Forwarded-Proto": "gopher", "X-Forwarded-Host": 'a b"<'}
        )
    ).json()
    assert manifest["api"]["url"] == "http://localhost/prefix/-/llm/openapi.json"


@pytest.mark.asyncio
async def test_manifest_overrides_and_bearer_auth(db_path):
    config = {
        "manifest": {
            "name_for_human": "Pets",
            "contact_email": "data@example.com",
            "auth": {"type": "user_http", "authorization_type": "bearer"},
        }
    }
    ds = datasette_for(db_path, {"title": "A very long instance title indeed"}, config)
    manifest = (await ds.client.get("/.well-known/ai-plugin.json")).json()
    assert manifest["name_for_human"] == "Pets"
    assert manifest["name_for_model"] == "a_very_long_instance_title_indeed"
    assert manifest["contact_email"] == "data@example.com"
    assert manifest["auth"] == {"type": "user_http", "authorization_type": "bearer"}
    assert manifest["api"]["is_user_authenticated"] is True
    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}, {}]
    validate(spec)


# OpenAPI ----------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_openapi_json_and_yaml_are_valid_and_describe_every_endpoint(ds):
    response = await ds.client.get("/-/llm/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/-/llm/schema.json",
        "/-/llm/query.json",
        "/{database}/-/ask.json",
        "/-/semantic-search",
    }
    assert set(spec["paths"]["/-/llm/query.json"]) == {"get", "post"}
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert operation_ids == {"getSchema", "runQuery", "runQueryPost", "askQuestion", "semanticSearch"}
    capped = spec["paths"]["/-/llm/query.json"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "truncated" in json.dumps(capped["examples"])
    yaml_response = await ds.client.get("/-/llm/openapi.yaml")
    assert yaml_response.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(yaml_response.text) == spec
    assert not re.search(r"[&*]id\d", yaml_response.text)  # no YAML aliases: some OpenAPI tools refuse them


# Schema -----------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_schema_lists_columns_keys_counts_and_hides_secret(ds):
    data = (await ds.client.get("/-/llm/schema.json")).json()
    (db,) = [d for d in data["databases"] if d["name"] == "db"]
    tables = {t["name"]: t for t in db["tables"]}
    assert set(tables) == {"users", "repos", "docs", "popular"}
    repos = tables["repos"]
    assert {"name": "stars", "type": "INTEGER", "primary_key": False, "not_null": False} in repos["columns"]
    assert repos["foreign_keys"] == [{"column": "owner", "other_table": "users", "other_column": "id"}]
    assert repos["row_count"] == 3 and repos["primary_keys"] == ["id"]
    assert tables["popular"]["type"] == "view" and tables["popular"]["row_count"] is None
    assert db["can_execute_sql"] is True
    assert "secret" not in json.dumps(data) and "hunter2" not in json.dumps(data)
    admin = await ds.client.get("/-/llm/schema.json?database=db", cookies=actor_cookies(ds, {"id": "admin"}))
    assert "secret" in {t["name"] for t in admin.json()["databases"][0]["tables"]}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["a]b", 'q"t', "[x]", "a b"])
async def test_schema_lists_tables_with_any_name_and_their_keys(tmp_path, name):
    """Datasette 0.65's foreign-key helper quotes a name with [...]: a table named `a]b` made the database's schema
    listing a 503 "try again shortly" for good (an outside tester, session 36)."""
    path = tmp_path / "odd.db"
    conn = sqlite3.connect(path)
    quoted = '"' + name.replace('"', '""') + '"'
    conn.executescript(
        f"create table users (id integer primary key); create table {quoted} (id integer, u integer references users);"
    )
    conn.close()
    response = await Datasette([str(path)]).client.get("/-/llm/schema.json?database=odd")
    assert response.status_code == 200, response.text
    tables = {t["name"]: t for t in response.json()["databases"][0]["tables"]}
    assert tables[name]["foreign_keys"] == [{"column": "u", "other_table": "users", "other_column": "id"}]


@pytest.mark.asyncio
async def test_schema_errors_list_only_what_the_actor_may_see(ds):
    response = await ds.client.get("/-/llm/schema.json?database=nope")
    assert response.status_code == 404
    assert "db" in response.json()["databases"]
    response = await ds.client.get("/-/llm/schema.json?database=db&table=secret")
    assert response.status_code == 404
    assert "secret" not in response.json()["tables"] and "users" in response.json()["tables"]
    one = (await ds.client.get("/-/llm/schema.json?database=db&table=users")).json()
    assert one["name"] == "users" and one["row_count"] == 2


# Query ------------------------------------------------------------------------------------------------------


async def query(ds, sql, database="db", **kwargs):
    return await ds.client.get("/-/llm/query.json", params={"database": database, "sql": sql}, **kwargs)


@pytest.mark.asyncio
async def test_query_returns_rows_with_a_note(ds):
    response = await query(ds, "select name, stars from repos order by stars desc")
    assert response.status_code == 200
    data = response.json()
    assert data["columns"] == ["name", "stars"]
    assert data["rows"] == [["datasette", 9000], ["sqlite-utils", 1500], ["dogsheep", 5]]
    assert data["truncated"] is False and data["note"] == "All 3 rows returned."
    assert data["limit_added"] is True


@pytest.mark.parametrize(
    "sql, kind",
    [
        ("insert into users values (3, 'eve')", "not_select"),
        ("drop table users", "not_select"),
        ("attach database '/tmp/x.db' as x", "not_select"),
        ("pragma writable_schema = 1", "not_select"),
        ("select 1; delete from users", "multiple_statements"),
        ("select * from users; select * from repos", "multiple_statements"),
        ("update users set name = 'x'", "not_select"),
        ("select load_extension('evil')", "forbidden_function"),
        ("select * from sqlite_master", "forbidden_table"),
        ("select nme from users", "unknown_column"),
    ],
)
@pytest.mark.asyncio
async def test_query_rejects_writes_and_bad_sql_with_a_reason(ds, sql, kind):
    response = await query(ds, sql)
    assert response.status_code == 400, response.text
    data = response.json()
    assert data["ok"] is False and data["code"] == "sql_rejected" and data["kind"] == kind
    assert data["reason"] and data["rejection"]["reason"] == data["reason"]
    assert isinstance(data["rejection"]["suggestions"], list)
    assert (await query(ds, "select count(*) from users")).json()["rows"] == [[2]]  # nothing was written


@pytest.mark.asyncio
async def test_rejection_names_the_identifier_and_suggestions(ds):
    data = (await query(ds, "select nme from users")).json()
    assert data["identifier"] == "nme" and "name" in data["suggestions"]


@pytest.mark.asyncio
async def test_query_post_json_without_csrf_token_and_forms_still_need_one(ds):
    response = await ds.client.post(
        "/-/llm/query.json",
        json={"database": "db", "sql": "select id from users"},
        cookies=actor_cookies(ds, {"id": "someone"}),
    )
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [[1], [2]]
    form = await ds.client.post(
        "/-/llm/query.json", data={"database": "db", "sql": "select 1"}, cookies=actor_cookies(ds, {"id": "someone"})
    )
    assert form.status_code == 403  # Datasette's CSRF protection, untouched for forms
    bad = await ds.client.post("/-/llm/query.json", content=b"{nope", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    not_object = await ds.client.post("/-/llm/query.json", json=["select 1"])
    assert not_object.status_code == 400
    text = await ds.client.post("/-/llm/query.json", content=b"select 1", headers={"content-type": "text/plain"})
    assert text.status_code == 415
    evil = await ds.client.post(
        "/-/llm/query.json", json={"database": "db", "sql": "select 1"}, headers={"Origin": "http://evil.example"}
    )
    assert evil.status_code == 403


@pytest.mark.asyncio
async def test_query_caps_rows_and_characters_on_huge_cells(ds):
    response = await query(ds, "select id, title, body from docs")
    assert response.status_code == 200
    data = response.json()
    assert data["truncated"] is True
    # id, title ("doc 0" to "doc 49": 5 or 6 characters, the same count either way) and body
    fetched = rows_fetched(16 + len("doc 10") + BIG_CELL)
    assert fetched == rows_fetched(16 + len("doc 0") + BIG_CELL)
    assert 0 < data["row_count"] <= fetched and data["rows_fetched"] == fetched and data["more_rows"] is True
    assert len(json.dumps(data["rows"], ensure_ascii=False)) == data["chars"] <= 20_000
    assert data["clipped"] == {"body": {"limit": 500, "cells": data["row_count"]}}
    assert all(row[2].endswith(CLIP_MARKER) and len(row[2]) == 500 + len(CLIP_MARKER) for row in data["rows"])
    assert [row[0] for row in data["rows"]] == list(range(1, data["row_count"] + 1))  # whole rows, in order
    assert data["note"].startswith(f"Showing {data['row_count']} of {fetched}+ rows")
    assert f"column body clipped to 500 characters in {data['row_count']} rows" in data["note"]
    assert len(response.text) < 25_000


@pytest.mark.asyncio
async def test_query_row_cap_says_more_rows_exist(db_path):
    ds = datasette_for(db_path, plugin_config={"query_max_rows": 10})
    data = (await query(ds, "select id, title from docs")).json()
    assert data["row_count"] == 10 and data["more_rows"] is True and data["truncated"] is True
    assert data["note"].startswith("Showing 10 of 10+ rows (results are capped at 10 rows)")
    exact = (await query(ds, "select id from docs limit 10")).json()
    assert exact["truncated"] is False and exact["row_count"] == 10


@pytest.mark.asyncio
async def test_query_hides_tables_the_actor_may_not_view(ds):
    for sql in (
        "select * from secret",
        "select code from SECRET",
        "with s as (select * from secret) select * from s",
        "select * from users where id in (select owner from secret)",
    ):
        response = await query(ds, sql)
        assert response.status_code == 400
        data = response.json()
        assert data["kind"] == "unknown_table" and "hunter2" not in response.text
        assert "secret" not in data["suggestions"]
    response = await query(ds, "select * from pragma_table_info('secret')")
    assert response.status_code == 400 and "code" not in response.json().get("rows", [])
    admin = await query(ds, "select code from secret", cookies=actor_cookies(ds, {"id": "admin"}))
    assert admin.json()["rows"] == [["hunter2"]]
    token = await query(ds, "select code from secret", headers=bearer("admin"))
    assert token.json()["rows"] == [["hunter2"]]


@pytest.mark.asyncio
async def test_query_needs_execute_sql(db_path):
    ds = datasette_for(db_path, NO_SQL)
    response = await query(ds, "select 1")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert (await query(ds, "select 1", headers=bearer("admin"))).status_code == 200
    schema = (await ds.client.get("/-/llm/schema.json?database=db")).json()
    assert schema["databases"][0]["can_execute_sql"] is False


@pytest.mark.asyncio
async def test_query_bad_input_is_never_a_500(ds):
    for params, status in (
        ({}, 400),
        ({"database": "db"}, 400),
        ({"database": "nope", "sql": "select 1"}, 404),
        ({"database": "db", "sql": "x" * 30_000}, 400),
        ({"database": "db", "sql": "select '\x00'"}, 400),
        ({"database": "db", "sql": "select * from (((((("}, 400),
    ):
        response = await ds.client.get("/-/llm/query.json", params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["status"] == status
    put = await ds.client.put("/-/llm/query.json")
    assert put.status_code == 405 and put.json()["code"] == "method_not_allowed"
    only_one = await ds.client.get("/-/llm/query.json", params={"sql": "select 1"})
    assert only_one.json()["database"] == "db"  # the only database may go unnamed
    assert (await ds.client.get("/-/llm/query.json?database=nope&sql=select+1")).status_code == 404


# Units ------------------------------------------------------------------------------------------------------


def test_cap_rows_cuts_at_row_boundaries_without_clipping_when_rows_fit():
    rows = [(i, "x" * 100) for i in range(20)]
    capped = cap_rows(["id", "text"], rows, max_rows=100, max_chars=1000)
    assert not capped.clipped and 0 < len(capped.rows) < 20
    assert len(json.dumps(list(capped.rows), ensure_ascii=False)) == capped.chars <= 1000
    assert capped.note.startswith(f"Showing {len(capped.rows)} of 20 rows")


def test_cap_rows_clips_harder_when_needed_and_handles_blobs_and_floats():
    capped = cap_rows(["a", "b", "c"], [("y" * 5000, b"\x00" * 5000, float("inf"))], max_rows=5, max_chars=300)
    assert len(capped.rows) == 1 and capped.chars <= 300
    ((a, b, c),) = capped.rows
    assert a.endswith(CLIP_MARKER) and len(a) < 300
    assert b["clipped"] is True and b["bytes"] == 5000
    assert c == "inf"
    assert set(capped.clipped) == {"a", "b"}
    nothing = cap_rows([f"c{i}" for i in range(50)], [tuple(range(50))], max_rows=5, max_chars=20)
    assert nothing.rows == () and "not even one row fits" in nothing.note
    empty = cap_rows(["a"], [], max_rows=5, max_chars=100)
    assert empty.note == "All 0 rows returned." and not empty.truncated


def test_skip_csrf_only_for_json_posts_to_the_agent_endpoints(ds):
    def scope(path, content_type=None, method="POST"):
        headers = [(b"content-type", content_type.encode())] if content_type else []
        return {"type": "http", "path": path, "method": method, "headers": headers}

    assert skip_csrf(ds, scope("/-/mcp", "application/json")) is True
    assert skip_csrf(ds, scope("/-/llm/query.json", "application/json; charset=utf-8")) is True
    assert skip_csrf(ds, scope("/-/mcp", None, method="DELETE")) is True
    assert skip_csrf(ds, scope("/-/mcp", "text/plain")) is None
    assert skip_csrf(ds, scope("/-/llm/query.json", "application/x-www-form-urlencoded")) is None
    assert skip_csrf(ds, scope("/db/-/ask.json", "application/json")) is None
    assert skip_csrf(ds, scope("/-/mcpx", "application/json")) is None
    assert skip_csrf(ds, {"type": "websocket", "path": "/-/mcp"}) is None


@pytest.mark.asyncio
async def test_a_cell_cut_as_it_was_read_makes_the_result_truncated(tmp_path):
    """With a character cap above a cell's size, a cell cut as it was fetched (longer than 100,000) was "All 1 row
    returned." (an outside tester, session 36)."""
    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key, body text)")
    conn.execute("insert into t (body) values (?)", ["x" * 150_000])
    conn.commit()
    conn.close()
    ds = datasette_for(path, None, {"query_max_chars": 1_000_000})
    data = (await ds.client.get("/-/llm/query.json", params={"database": "big", "sql": "select body from t"})).json()
    assert data["rows"][0][0].endswith(CLIP_MARKER) and data["truncated"] is True
    assert "cut as they were read" in data["note"] and "All 1 row" not in data["note"]


@pytest.mark.asyncio
async def test_a_query_given_up_by_its_client_stops(db_path):
    """A client that leaves stops its statement: before session 37 the query API ran it on to the time limit (an
    outside tester's 12 clients that left at 0.4 s cost 5.4 s of CPU after)."""
    import asyncio
    import time

    ds = datasette_for(db_path, HIDE_SECRET, sql_time_limit_ms=6000)
    sql = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    body = json.dumps({"database": "db", "sql": sql}).encode()
    left = asyncio.Event()
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    statuses = []

    async def receive():
        if messages:
            return messages.pop(0)
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/-/llm/query.json",
        "raw_path": b"/-/llm/query.json",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    asyncio.get_running_loop().call_later(0.5, left.set)
    started = time.monotonic()
    await asyncio.wait_for(ds.app()(scope, receive, send), 10)
    assert time.monotonic() - started < 2 and statuses == [499]
    await asyncio.sleep(0.3)
    cpu_before = time.process_time()
    await asyncio.sleep(1.0)
    assert time.process_time() - cpu_before < 0.3


@pytest.mark.asyncio
async def test_schema_and_query_answer_as_the_openapi_spec_says(ds):
    """Every field getSchema and runQuery return, with each status, is one the served spec names."""
    import jsonschema
    from spec_helpers import strict

    spec = (await ds.client.get("/-/llm/openapi.json")).json()
    components = spec["components"]["schemas"]
    cases = [
        ("/-/llm/schema.json", "getSchema", 200),
        ("/-/llm/schema.json?database=nope", "getSchema", 404),
        ("/-/llm/schema.json?database=db&table=repos", "getSchema", 200),  # one table: another shape
        ("/-/llm/query.json?sql=select+*+from+repos+limit+3", "runQuery", 200),
        ("/-/llm/query.json?sql=select+nope+from+repos", "runQuery", 400),
        ("/-/llm/query.json?sql=delete+from+repos", "runQuery", 400),
        ("/-/llm/query.json?sql=select+1&database=nope", "runQuery", 404),
    ]
    operations = {op["operationId"]: op for item in spec["paths"].values() for op in item.values()}
    for path, operation, status in cases:
        response = await ds.client.get(path)
        assert response.status_code == status, (path, response.text)
        schema = operations[operation]["responses"][str(status)]["content"]["application/json"]["schema"]
        jsonschema.validate(response.json(), strict(schema, components))


def test_a_row_count_runs_in_steps_its_deadline_can_stop(tmp_path):
    """SQLite counts a plain `count(*)` of a table in one instruction, where the deadline's progress handler never
    runs: every table was counted in full on every request (an outside tester, session 42: 0.37-0.60 s for
    3,000,000 rows against a deadline of 50 ms). The oracle: how often SQLite calls a progress handler."""
    import sqlite3

    from datasette_llm.agents.schema_api import FAST_COUNT_BYTES, row_count_sql

    conn = sqlite3.connect(tmp_path / "big.db")
    conn.execute("create table [a b] (id integer primary key, x text)")
    conn.execute(
        "insert into [a b] (x) select 'x' from (with recursive n(i) as (select 1 union all select i + 1 from n "
        "where i < 100000) select i from n)"
    )
    calls = []
    conn.set_progress_handler(lambda: calls.append(1), 1000)
    assert conn.execute(row_count_sql("a b", FAST_COUNT_BYTES + 1)).fetchone()[0] == 100_000
    assert len(calls) >= 100  # at least one check every 1,000 rows
    # A small file is counted the fast way: 1-2 million narrow rows counted in steps took 34-72 ms against 5-14 ms,
    # past the deadline (a second outside tester, session 42); reading it whole takes no longer than that.
    calls.clear()
    assert conn.execute(row_count_sql("a b", FAST_COUNT_BYTES)).fetchone()[0] == 100_000
    assert len(calls) < 5
