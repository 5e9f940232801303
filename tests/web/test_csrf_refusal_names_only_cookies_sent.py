"""Datasette 0.65's CSRF refusal, rewritten as JSON, says what the request sent (an outside tester, session 59).

asgi-csrf refuses a POST that carries any cookie unless x-csrftoken matches ds_csrftoken. The plugin's JSON said
"it sends Datasette's ds_csrftoken cookie without the cookie's value in an x-csrftoken header. Send that header
too" also to a request that sent no ds_csrftoken (only another application's cookie on the same host, or ds_actor
from a script), whose client then cannot follow the advice.
"""

import sqlite3

import pytest
from datasette.app import Datasette
from datasette_versions import only_datasette_065


@only_datasette_065
@pytest.mark.asyncio
@pytest.mark.parametrize("cookie", ["other_app_session=abc", "ds_actor=not-signed"])
async def test_a_refusal_does_not_blame_a_cookie_that_was_not_sent(tmp_path, cookie):
    path = tmp_path / "db.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (id integer primary key)")
    conn.close()
    ds = Datasette([str(path)])
    response = await ds.client.post("/db/-/ask.json", json={"question": "how many"}, headers={"Cookie": cookie})
    assert response.status_code == 403, response.text[:300]
    assert "sends Datasette's ds_csrftoken cookie" not in response.json()["error"], response.json()["error"]


@only_datasette_065
@pytest.mark.asyncio
async def test_a_refusal_names_the_cookies_sent_and_the_token_when_it_was_sent(tmp_path):
    path = tmp_path / "db.db"
    sqlite3.connect(path).close()
    ds = Datasette([str(path)])
    other = await ds.client.post("/db/-/ask.json", json={"question": "x"}, headers={"Cookie": "a=1; b=2"})
    assert "it sends cookies (a, b) but no ds_csrftoken cookie" in other.json()["error"]
    token = await ds.client.post("/db/-/ask.json", json={"question": "x"}, headers={"Cookie": "ds_csrftoken=zz"})
    assert token.status_code == 403 and "sends Datasette's ds_csrftoken cookie" in token.json()["error"]
