"""Save as query and the downloads on the Ask page, in a real browser (issue 18, part 2).

The demo database served in-process (uvicorn in a thread) with a scripted model that writes known SQL; the
visitor is signed in as an actor allowed to store queries. On Datasette 1.0 the button saves through
Datasette's stored-query API and links to the saved query; on 0.65 it shows a canned-query snippet, which is
checked by pasting it into a new Datasette and running the query. Screenshots go to test-artifacts/.
"""

import asyncio
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from server_helpers import ARTIFACTS, DEMO_DB, ROOT, serve_in_thread

import datasette_llm.web.ask as web_ask
from datasette_llm.ask import prompts
from datasette_llm.models.base import ChatResult

QUESTION = "How many releases were published each year?"
SQL = "select substr(published_at, 1, 4) as year, count(*) as releases from releases group by year order by year"
KEEPER = {"id": "keeper"}
TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.browser]


class YearsModel(ScriptedModel):
    def _complete(self, messages, options, cancel):
        self.calls.append(messages)
        reply = "The table has the counts." if messages[0]["content"] == prompts.ANSWER_SYSTEM else sql_reply(SQL)
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)


def configured(blocks: dict) -> dict:
    """Datasette() arguments for these blocks: datasette.yaml (config) on 1.0, metadata on 0.65."""
    return {"config": blocks} if DATASETTE_1 else {"metadata": blocks}


@pytest.fixture(scope="module")
def keep_server():
    if not DEMO_DB.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    blocks = {
        "plugins": {"datasette-llm": {"warm_up": False}},
        "databases": {"simonw_releases": {"permissions": {"store-query": KEEPER}}},  # 1.0: keeper may store
    }
    ds = Datasette([str(DEMO_DB)], secret="keep-secret", **configured(blocks))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_ask, "chat_model_for", lambda settings: YearsModel([]))
        with serve_in_thread(ds.app()) as base:
            yield ds, base


def expected_rows() -> list[list[str]]:
    with sqlite3.connect(DEMO_DB) as conn:
        return [[str(value) for value in row] for row in conn.execute(SQL).fetchall()]


def test_save_as_query_and_downloads_in_the_browser(keep_server, browser):
    ds, base = keep_server
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "ds_actor", "value": ds.sign({"a": KEEPER}, "actor"), "url": base}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/simonw_releases/-/ask")
    if page.locator("#ask-mode").count():
        page.select_option("#ask-mode", "sql")
    page.fill("#ask-question", QUESTION)
    page.press("#ask-question", "Enter")
    page.wait_for_selector(".ask-turn .ask-timings", timeout=TIMEOUT_MS)
    turn = page.locator(".ask-turn").first
    assert turn.locator(".ask-error").count() == 0, turn.inner_text()
    rows = expected_rows()

    # Datasette's own CSV and JSON of the SQL, fetched with the visitor's cookies.
    csv_href = turn.locator("a.ask-download-csv").get_attribute("href")
    assert csv_href.startswith("/simonw_releases/-/query.csv?sql=" if DATASETTE_1 else "/simonw_releases.csv?sql=")
    as_csv = page.request.get(base + csv_href)
    assert as_csv.ok and as_csv.text().splitlines() == ["year,releases", *[",".join(row) for row in rows]]
    json_href = turn.locator("a.ask-download-json").get_attribute("href")
    as_json = page.request.get(base + json_href + "&_shape=array")
    assert as_json.ok and [[str(r["year"]), str(r["releases"])] for r in as_json.json()] == rows

    button = turn.locator("button.ask-save-query")
    assert button.inner_text() == "Save as query"
    button.click()
    if DATASETTE_1:
        # Stored through Datasette's API as the signed-in actor, and linked.
        saved = turn.locator("a.ask-saved-query")
        saved.wait_for(timeout=TIMEOUT_MS)
        assert saved.inner_text() == QUESTION and "private" in turn.locator(".ask-save-status").inner_text()
        assert button.inner_text() == "Saved" and button.is_disabled()
        page.screenshot(path=str(ARTIFACTS / "save-as-query-datasette1.png"), full_page=True)
        href = saved.get_attribute("href")
        stored = page.request.get(base + href + ".json?_shape=array")
        assert stored.ok and [[str(r["year"]), str(r["releases"])] for r in stored.json()] == rows
        page.goto(base + href)
        assert QUESTION in page.content()
    else:
        # No stored queries on 0.65: a snippet to paste, which is checked by pasting it.
        snippet = turn.locator("pre.ask-save-snippet")
        assert snippet.is_visible() and button.get_attribute("aria-expanded") == "true"
        assert "metadata.yml" in turn.locator(".ask-save-where").inner_text()
        page.screenshot(path=str(ARTIFACTS / "save-as-query-datasette065.png"), full_page=True)
        pasted = yaml.safe_load(snippet.inner_text())
        (name, query), *_ = pasted["databases"]["simonw_releases"]["queries"].items()
        assert query["title"] == QUESTION
        kept = Datasette([str(DEMO_DB)], metadata=pasted)
        fetch = kept.client.get(f"/simonw_releases/{name}.json?_shape=array")
        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
            response = pool.submit(asyncio.run, fetch).result()
        assert [[str(r["year"]), str(r["releases"])] for r in response.json()] == rows
        button.click()
        assert snippet.is_hidden()
    assert errors == []
    context.close()
