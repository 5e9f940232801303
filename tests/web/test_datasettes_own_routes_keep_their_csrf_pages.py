"""Datasette's own CSRF refusals of JSON requests to Datasette's own routes stay Datasette's: web/csrf_refusals.py
rewrites them into the plugin's JSON error only on the plugin's routes.

web/csrf_refusals.py: "turns such a 403 into the plugin's JSON error ... forms and pages keep Datasette's HTML";
the wrapper is installed over the whole app (routes.asgi_layers), so only its path check keeps it off Datasette's
own routes and every other plugin's. There the plugin's words ("Datasette refused this request ... as
cross-site"/"... x-csrftoken ...") are not its to say, and a client of another plugin's JSON API would get this
plugin's error shape. The requests are those tests/web/test_datasettes_csrf_refusals_of_json_are_json.py shows
Datasette refuses (0.65: the ds_csrftoken cookie without its header; 1.0: another origin); the oracle is
Datasette's own answer, an HTML page, which it gives a form to the same path too. Found by mutation testing (an
outside tester, session 53): with the path check made to pass for every path, the suite passed.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1

from datasette_llm.web.csrf_refusals import REFUSED


def refused_request(ds) -> dict:
    if DATASETTE_1:
        return {"headers": {"Origin": "http://localhost:6274", "Sec-Fetch-Site": "same-site"}}
    return {"cookies": {"ds_csrftoken": ds.sign("t", "csrftoken")}}


@pytest.mark.asyncio
async def test_datasettes_own_route_keeps_its_csrf_page_for_json(tmp_path):
    with sqlite3.connect(tmp_path / "db.db") as conn:
        conn.execute("create table items (id integer primary key)")
    conn.close()
    ds = Datasette([str(tmp_path / "db.db")])
    refused = refused_request(ds)
    # Datasette's own POST routes: the database page (its SQL form) and the messages debug page.
    for path in ("/db", "/-/messages"):
        form = await ds.client.post(
            path, data={"x": "1"}, headers=refused.get("headers", {}), cookies=refused.get("cookies")
        )
        assert form.status_code == 403 and form.headers["content-type"].startswith("text/html"), (
            path,
            form.status_code,
        )
        headers = {"Content-Type": "application/json", **refused.get("headers", {})}
        response = await ds.client.post(
            path, content=json.dumps({"x": 1}), headers=headers, cookies=refused.get("cookies")
        )
        assert response.status_code == 403, (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), (path, response.headers["content-type"])
        assert REFUSED not in response.text
