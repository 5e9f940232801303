"""web/csrf_refusals.py rewrites one answer only: Datasette's HTML 403 (its CSRF refusal) to a JSON POST to the
plugin's routes. Any other HTML error there keeps its status: a JSON POST to the Ask page of a database that does
not exist is Datasette's 404 page, not a 403 that says the request was refused as cross-site.

web/csrf_refusals.py: "This wrapper ... turns such a 403 into the plugin's JSON error"; docs/http-api.md: "404
unknown database or table". A client told 403 "send an x-csrftoken header" for a database that is not there retries
the wrong thing. The oracle is the same request as a form (no JSON, so the wrapper is not involved): Datasette's own
status. Found by mutation testing (an outside tester, session 53): with the status check widened to every error
status, the suite passed.
"""

import json
import sqlite3

import pytest
from datasette.app import Datasette

from datasette_llm.web.csrf_refusals import REFUSED


@pytest.mark.asyncio
async def test_a_missing_databases_ask_page_stays_404_under_a_json_post(tmp_path):
    with sqlite3.connect(tmp_path / "db.db") as conn:
        conn.execute("create table items (id integer primary key)")
    conn.close()
    ds = Datasette([str(tmp_path / "db.db")])
    as_form = await ds.client.post("/nope/-/ask", data={"q": "x"})
    assert as_form.status_code == 404, as_form.status_code
    as_json = await ds.client.post(
        "/nope/-/ask", content=json.dumps({"q": "x"}), headers={"content-type": "application/json"}
    )
    assert as_json.status_code == as_form.status_code, (as_json.status_code, as_json.text[:200])
    assert REFUSED not in as_json.text
