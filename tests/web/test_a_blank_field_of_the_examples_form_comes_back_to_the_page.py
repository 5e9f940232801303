"""The examples page's own form is answered with a redirect back to the page, its message and its fields, whatever
the refusal (docs/examples.md): a question or SQL of only spaces, which the page's `required` lets through, was
answered with the JSON API's 400 body instead (an outside tester, session 56). The JSON API still answers JSON."""

from urllib.parse import parse_qs, urlparse

import pytest
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from examples_helpers import make_database, signed_in, teaching_metadata


@pytest.fixture
def ds(tmp_path, monkeypatch):
    monkeypatch.setenv("DATASETTE_LLM_STATE_DIR", str(tmp_path / "state"))
    return Datasette([str(make_database(tmp_path / "db.db"))], metadata=teaching_metadata(), secret="s56")


def teacher(ds):
    token = ds.sign("token", "csrftoken")
    return token, {
        "cookies": {"ds_actor": ds.sign({"a": {"id": "teacher"}}, "actor"), "ds_csrftoken": token},
        "headers": {"sec-fetch-site": "same-origin"} if DATASETTE_1 else {},
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "fields",
    [{"question": "How many cats?", "sql": "   "}, {"question": "  ", "sql": "select 1"}, {"question": "\t\n"}],
)
async def test_a_blank_field_is_told_on_the_page(ds, fields):
    token, signed = teacher(ds)
    response = await ds.client.post("/-/llm/db/examples", data={"csrftoken": token, **fields}, **signed)
    assert response.status_code == 302, response.text
    location = urlparse(response.headers["location"])
    assert location.path.endswith("/-/llm/db/examples")
    refill = parse_qs(location.query, keep_blank_values=True)
    assert {key: value[0] for key, value in refill.items()} == fields
    page = await ds.client.get(response.headers["location"], cookies={**signed["cookies"], **response.cookies})
    assert page.status_code == 200 and "missing or empty" in page.text
    listed = await ds.client.get("/-/llm/db/examples.json", cookies=signed["cookies"])
    assert listed.json()["examples"] == []  # nothing stored


@pytest.mark.asyncio
async def test_the_json_api_answers_a_blank_field_with_json(ds):
    response = await ds.client.post(
        "/-/llm/db/examples", json={"question": "q", "sql": "  "}, **signed_in(ds, {"id": "teacher"})
    )
    assert response.status_code == 400 and response.json()["ok"] is False
    assert "'sql' is missing or empty" in response.json()["error"]
