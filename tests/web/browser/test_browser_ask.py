"""The Ask page in a real browser: Datasette serving the demo database with the real default model, driven
by headless Chromium (Debian's /usr/bin/chromium through Python Playwright). Screenshots go to test-artifacts/.
"""

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datasette_versions import DATASETTE_1
from server_helpers import ARTIFACTS, DEMO_DB, ROOT, free_port, serve_body, stop, wait_for_http

QUESTION = "Which five repos have the most releases?"
FOLLOW_UP = "and only those owned by datasette?"
ANSWER_TIMEOUT_MS = 300_000  # the local model shares two cores with everything else on the machine

# The real model in the page: the 1.0 leg only. The page itself is driven on both versions with scripted models
# (test_browser_rows.py, test_browser_charts.py, test_browser_keep.py, test_browser_access.py, ...).
pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.one_leg]


@pytest.fixture(scope="module")
def demo_server(default_gguf):
    if not DEMO_DB.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    with open(ARTIFACTS / "datasette-ask-browser.log", "w") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "datasette"),
                "serve",
                str(DEMO_DB),
                "-m",
                str(ROOT / "demo-db" / "metadata.yml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/-/versions.json", process)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


def true_top_five() -> list[tuple[str, str]]:
    """(full_name, name) of the five repos with the most releases, straight from SQLite."""
    with sqlite3.connect(DEMO_DB) as conn:
        return conn.execute("""
            select repos.full_name, repos.name from releases join repos on repos.full_name = releases.repo
            group by releases.repo order by count(*) desc limit 5""").fetchall()


def record_stages(page):
    """Keep every progress label the page shows, in order, in window.askStages."""
    page.evaluate("""() => {
        window.askStages = [];
        const stage = document.getElementById("ask-stage");
        new MutationObserver(() => window.askStages.push(stage.textContent))
            .observe(stage, {childList: true, characterData: true, subtree: true});
    }""")


def ask_and_wait(page, question: str, turn: int) -> float:
    """Type a question, press Enter, wait for the turn's result; returns the seconds it took."""
    page.fill("#ask-question", question)
    started = time.monotonic()
    page.press("#ask-question", "Enter")
    page.wait_for_selector(f".ask-turn:nth-child({turn}) .ask-timings", timeout=ANSWER_TIMEOUT_MS)
    return time.monotonic() - started


def test_ask_in_the_browser(demo_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    stream_requests = []
    page.on("request", lambda r: stream_requests.append(r.post_data) if r.url.endswith("/-/ask.stream") else None)

    # From the database page, through the database action, to the Ask page.
    page.goto(f"{demo_server}/simonw_releases")
    page.click("details.actions-menu-links summary")  # in .page-header on 0.65, .page-action-menu on 1.0
    page.click(".actions-menu-links a:has-text('Ask a question')")
    page.wait_for_url(f"{demo_server}/simonw_releases/-/ask")
    assert page.is_visible("button.ask-example:has-text('What is shot-scraper?')")
    record_stages(page)

    page.fill("#ask-question", QUESTION)
    started = time.monotonic()
    page.press("#ask-question", "Enter")
    # The SQL and its rows are on the page while the model is still writing the answer.
    page.wait_for_selector(".ask-turn:nth-child(1) .ask-early-rows table.rows-and-columns", timeout=ANSWER_TIMEOUT_MS)
    rows_seconds = time.monotonic() - started
    assert page.locator(".ask-turn:nth-child(1) .ask-timings").count() == 0
    page.wait_for_selector(".ask-turn:nth-child(1) .ask-timings", timeout=ANSWER_TIMEOUT_MS)
    seconds = time.monotonic() - started
    assert page.locator(".ask-early-rows").count() == 0  # replaced by the final result
    (ARTIFACTS / "ask-browser-rows-timing.txt").write_text(f"{QUESTION}\trows {rows_seconds:.1f} s\n")
    (ARTIFACTS / "ask-browser-timing.txt").write_text(f"{QUESTION}\t{seconds:.1f} s\n")
    print(f"\n{QUESTION!r} answered in the browser in {seconds:.1f} s")
    stages = page.evaluate("window.askStages")
    assert "Writing SQL…" in stages and stages.index("Writing SQL…") < len(stages) - 1
    assert page.is_hidden("#ask-progress")
    first = page.locator(".ask-turn").nth(0)
    assert first.locator(".ask-error").count() == 0, first.inner_text()
    assert first.locator(".ask-answer").inner_text().strip()
    sql = first.locator(".ask-final-sql").inner_text()
    assert sql.startswith("SELECT")

    rows = first.locator("table.rows-and-columns tbody tr")
    assert rows.count() == 5
    cells = [set(rows.nth(i).locator("td").all_inner_texts()) for i in range(5)]
    shown = {full_name for full_name, name in true_top_five() for row in cells if {full_name, name} & row}
    assert shown == {full_name for full_name, _ in true_top_five()}, cells
    page.screenshot(path=str(ARTIFACTS / "ask-answer.png"), full_page=True)

    # A follow-up carries the first question and its SQL (not its rows) as history.
    ask_and_wait(page, FOLLOW_UP, 2)
    payload = json.loads(stream_requests[-1])
    assert payload["question"] == FOLLOW_UP
    assert first.get_attribute("data-sql")
    assert payload["history"] == [{"question": QUESTION, "sql": first.get_attribute("data-sql")}]
    assert "rows" not in json.dumps(payload["history"])
    second = page.locator(".ask-turn").nth(1)
    assert second.locator(".ask-timings").count() == 1
    assert page.locator("#ask-reset").is_visible()
    page.screenshot(path=str(ARTIFACTS / "ask-followup.png"), full_page=True)

    # "Edit this SQL" opens Datasette's own query page with the same SQL.
    first.locator("a.ask-edit-sql").click()
    page.wait_for_url(
        f"{demo_server}/simonw_releases/-/query?sql=*" if DATASETTE_1 else f"{demo_server}/simonw_releases?sql=*"
    )
    assert page.input_value("textarea#sql-editor") == sql
    page.screenshot(path=str(ARTIFACTS / "ask-edit-sql.png"), full_page=True)

    # Cancel: the fetch is aborted and the page is ready for the next question.
    page.go_back()
    page.wait_for_selector("#ask-question")
    page.fill("#ask-question", "How many releases were published in 2024?")
    page.press("#ask-question", "Enter")
    page.wait_for_selector("#ask-stage:has-text('Writing SQL')", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "ask-progress.png"), full_page=True)
    page.click("#ask-cancel")
    page.wait_for_selector(".ask-cancelled", timeout=5_000)
    assert page.is_hidden("#ask-progress") and page.is_enabled("#ask-submit")
    page.close()


def test_a_chart_for_releases_per_year_with_the_real_model(demo_server, browser):
    """Issue 18's demo: "How many releases were published each year?" draws a chart above the table, one mark
    per row, from the rows the real model's SQL returned (read back from SQLite with the SQL the page shows)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{demo_server}/simonw_releases/-/ask")
    if page.locator("#ask-mode").count():
        page.select_option("#ask-mode", "sql")
    ask_and_wait(page, "How many releases were published each year?", 1)
    turn = page.locator(".ask-turn").nth(0)
    assert turn.locator(".ask-error").count() == 0, turn.inner_text()
    sql = turn.get_attribute("data-sql")
    with sqlite3.connect(DEMO_DB) as conn:
        expected = [[str(value) for value in row] for row in conn.execute(sql).fetchall()]
    body = turn.locator("table.rows-and-columns tbody tr")
    rows = [body.nth(i).locator("td").all_inner_texts() for i in range(body.count())]
    assert rows == expected and 5 <= len(rows) <= 30, rows  # one row a year
    figure = turn.locator(".ask-chart")
    figure.locator(".ask-chart-view svg").wait_for(timeout=60_000)
    turn.locator(".ask-chart[data-drawn]").wait_for(timeout=60_000)
    kind = figure.get_attribute("data-drawn")
    marks = {"line": "g.mark-symbol path", "bar": "g.mark-rect path"}
    assert kind in marks, kind
    assert figure.locator(marks[kind]).count() == len(rows)
    assert not errors, errors
    page.screenshot(path=str(ARTIFACTS / "ask-chart-real-model.png"), full_page=True)


def test_a_long_result_is_answered_by_its_table_at_once(demo_server, browser):
    """More than 10 rows: the answer says how many rows the query returned, with no model call after the SQL,
    and the table holds exactly what SQLite returns."""
    with sqlite3.connect(DEMO_DB) as conn:
        names = {name for (name,) in conn.execute("select name from repos where owner = 'dogsheep'")}
    assert len(names) > 10
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{demo_server}/simonw_releases/-/ask")
    page.fill("#ask-question", "Which repos are owned by dogsheep?")
    page.press("#ask-question", "Enter")
    page.wait_for_selector(".ask-turn:nth-child(1) .ask-timings", timeout=ANSWER_TIMEOUT_MS)
    turn = page.locator(".ask-turn").nth(0)
    assert turn.locator(".ask-error").count() == 0, turn.inner_text()
    answer = turn.locator(".ask-answer").inner_text().strip()
    assert answer == f"The query returned {len(names)} rows; they are listed in the results.", answer
    assert "the table is the answer" in turn.locator(".ask-notes").inner_text()
    rows = turn.locator("table.rows-and-columns tbody tr")
    assert rows.count() == len(names)
    cells = [set(rows.nth(i).locator("td").all_inner_texts()) for i in range(rows.count())]
    assert all(row & (names | {f"dogsheep/{name}" for name in names}) for row in cells), cells
    assert "answer" not in turn.locator(".ask-timings").inner_text()  # no model wrote the answer
    page.screenshot(path=str(ARTIFACTS / "ask-table-answer.png"), full_page=True)
    page.close()


def test_text_answer_lists_its_sources_before_the_answer(demo_server, browser):
    """A question answered from text: the passages it is written from are listed the moment they are found, while
    the real model still writes; the final result replaces them with the same list, its cited passages marked."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{demo_server}/simonw_releases/-/ask")
    page.select_option("#ask-mode", "text")
    page.fill("#ask-question", "What is shot-scraper?")
    page.press("#ask-question", "Enter")
    early = page.locator(".ask-turn:nth-child(1) .ask-early-sources")
    early.locator("ol.ask-sources li").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator(".ask-turn:nth-child(1) .ask-timings").count() == 0  # the answer is still being written
    labels = early.locator("ol.ask-sources li > :first-child").all_inner_texts()
    assert "simonw/shot-scraper" in labels, labels
    page.wait_for_selector(".ask-turn:nth-child(1) .ask-timings", timeout=ANSWER_TIMEOUT_MS)
    turn = page.locator(".ask-turn").nth(0)
    assert page.locator(".ask-early-sources").count() == 0, turn.inner_text()  # replaced by the final list
    assert turn.locator("ol.ask-sources li > :first-child").all_inner_texts() == labels
    assert turn.locator("ol.ask-sources li.ask-cited").count() >= 1, turn.inner_text()
    assert not errors, errors
    page.close()


def test_another_sites_link_fills_the_question_and_its_frame_stays_empty(demo_server, browser):
    """From another site's page (served on another port: a sibling site, as in the outside attacker's test), a
    link to the Ask page with a question fills the question in without asking it, and a frame of the page shows
    nothing: the page refuses to be framed. Opened directly, the same URL asks at once."""
    question = "How many releases were published in 2024?"
    target = f"{demo_server}/simonw_releases/-/ask?q={question.replace(' ', '%20')}"
    attacker = f'<a id="go" href="{target}">win a prize</a><iframe id="frame" src="{target}"></iframe>'.encode()
    with serve_body(attacker, "text/html") as elsewhere:
        page = browser.new_page()
        streams = []
        page.on("request", lambda r: streams.append(r.url) if r.url.endswith("/-/ask.stream") else None)
        try:
            page.goto(f"{elsewhere}/")
            page.wait_for_timeout(2000)
            (framed,) = [frame for frame in page.frames if frame is not page.main_frame]
            assert framed.query_selector("#ask-form") is None  # refused: nothing to click
            page.click("#go")
            page.wait_for_selector("#ask-question")
            # ask.js fills the box once the page has loaded: on a busy machine, after the textarea is there (CI, s23).
            page.wait_for_function("document.querySelector('#ask-question').value !== ''", timeout=15000)
            assert page.input_value("#ask-question") == question
            page.wait_for_timeout(1500)
            assert streams == [] and page.locator(".ask-turn").count() == 0  # nothing asked, no model run
            page.goto(target)  # typed or bookmarked: asked at once
            page.wait_for_selector(".ask-turn:nth-child(1)", timeout=10_000)
            assert len(streams) == 1
        finally:
            page.close()
