"""A url-encoded form to the query API sent with a browser's cookies (docs/http-api.md, SECURITY.md): on Datasette
0.65 its CSRF check (asgi-csrf) decides, so a form carrying the page's token is answered whether or not the browser
sent Sec-Fetch-Site or Origin; on 1.0, which has no token, such a form must say it comes from this site (one with
neither header is a 403), while a same-origin one is answered. Over every mix of the two headers and of the token,
with Datasette's own `/{db}.json?sql=` for the same actor as the oracle for the rows (an outside tester's mutation
run, session 48: putting 1.0's rule on 0.65, which refused such forms with a valid token, went unnoticed)."""

import itertools

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import make_database

SECRET = "forms-by-version"
SQL = "select count(*) as n from cats"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "site, origin, token", list(itertools.product([None, "same-origin"], [None, "http://localhost"], [True, False]))
)
async def test_a_cookie_form_to_the_query_api(tmp_path, site, origin, token):
    ds = Datasette([str(make_database(tmp_path / "db.db"))], secret=SECRET)
    csrf = ds.sign("token", "csrftoken")
    cookies = {"ds_actor": ds.sign({"a": {"id": "ann"}}, "actor"), "ds_csrftoken": csrf}
    headers = {key: value for key, value in (("sec-fetch-site", site), ("origin", origin)) if value}
    form = {"database": "db", "sql": SQL, **({"csrftoken": csrf} if token else {})}
    response = await ds.client.post("/-/llm/query.json", data=form, cookies=cookies, headers=headers)
    oracle = await ds.client.get(
        "/db.json", params={"sql": SQL, "_shape": "array"}, cookies=cookies, follow_redirects=True
    )
    if DATASETTE_1:
        answered = bool(site or origin)
    else:
        answered = token
    assert (response.status_code == 200) == answered, (site, origin, token, response.status_code, response.text[:200])
    if answered:
        assert response.json()["rows"] == [[row["n"]] for row in oracle.json()], response.text[:300]
    else:
        assert response.status_code == 403, response.text[:300]
