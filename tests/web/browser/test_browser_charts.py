"""Charts on the Ask page in a real browser: the demo database served in-process, a scripted model that writes
known SQL, and headless Chromium drawing the result's Vega-Lite spec with the vendored vega.

The marks on the page are counted and read back against the rows in the result table. Screenshots go to
test-artifacts/; with DATASETTE_LLM_UPDATE_SCREENSHOTS=1 they replace the committed ones in docs/screenshots/
(which show what the charts look like), so that a test run never changes tracked files.
"""

import os
import sqlite3
import subprocess
import sys

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from server_helpers import ARTIFACTS, DEMO_DB, ROOT, serve_in_thread

import datasette_llm.web.ask as web_ask
from datasette_llm.ask import prompts
from datasette_llm.models.base import ChatResult

SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("DATASETTE_LLM_UPDATE_SCREENSHOTS") == "1" else ARTIFACTS
YEARS_QUESTION = "How many releases were published each year?"
YEARS_SQL = "select substr(published_at, 1, 4) as year, count(*) as releases from releases group by year order by year"
REPOS_QUESTION = "Which repos have the most releases?"
# A column name with quotes and markup: the page must show it as text.
REPOS_COLUMN = 'releases "<b>all</b>"'
REPOS_SQL = (
    f"select repos.name, count(*) as [{REPOS_COLUMN}] from releases join repos on repos.full_name = releases.repo "
    "group by repos.name order by 2 desc, repos.name"
)
# Column names that end in a backslash or hold a line break: Vega-Lite writes tooltip titles into an expression
# escaping only '"', and such names stopped the chart from drawing (an outside tester, session 35).
ODD_QUESTION = "How many releases has each odd column?"
ODD_SQL = (
    'select repos.name as "re\\po\\", count(*) as "releases' + "\n" + 'count" from releases '
    "join repos on repos.full_name = releases.repo group by repos.name order by 2 desc, repos.name limit 5"
)
# Numbers of more than 12 significant digits: Vega's default format cut them in tooltips and the marks' ARIA
# labels (9.00719925474e+15; an outside tester, session 36). The column name has both quotes and an emoji.
DIGITS_QUESTION = "Which accounts hold the most cents?"
DIGITS_COLUMN = 'cent\'s "total" 😀'
DIGITS = [("alpha", 9007199254740991), ("beta", 1234567890123), ("gamma", 123456789.12345679)]
DIGITS_SQL = " union all ".join(f"select '{name}' as name, {value!r} as [{DIGITS_COLUMN}]" for name, value in DIGITS)
ANSWER = "The table below has the counts."
TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.browser]


class QuestionModel(ScriptedModel):
    """Writes the SQL scripted for the question in the prompt; answers with a fixed sentence."""

    def __init__(self, sql_for):
        super().__init__([])
        self.sql_for = sql_for

    def _complete(self, messages, options, cancel):
        self.calls.append(messages)
        if messages[0]["content"] == prompts.ANSWER_SYSTEM:
            reply = ANSWER
        else:
            reply = next(
                sql_reply(sql) for question, sql in self.sql_for.items() if question in messages[-1]["content"]
            )
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)


@pytest.fixture(scope="module")
def chart_server():
    """The demo database on 127.0.0.1 (uvicorn in a thread), its Ask views using QuestionModel."""
    if not DEMO_DB.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    model = QuestionModel(
        {YEARS_QUESTION: YEARS_SQL, REPOS_QUESTION: REPOS_SQL, ODD_QUESTION: ODD_SQL, DIGITS_QUESTION: DIGITS_SQL}
    )
    ds = Datasette([str(DEMO_DB)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_ask, "chat_model_for", lambda settings: model)
        with serve_in_thread(ds.app()) as base:
            yield base


def ask(page, question: str, turn: int):
    page.fill("#ask-question", question)
    page.press("#ask-question", "Enter")
    page.wait_for_selector(f".ask-turn:nth-child({turn}) .ask-timings", timeout=TIMEOUT_MS)
    return page.locator(".ask-turn").nth(turn - 1)


def table_rows(turn) -> list[list[str]]:
    rows = turn.locator("table.rows-and-columns tbody tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def axis_labels(figure, axis: str) -> list[str]:
    """The tick labels of the chart's X or Y axis, in drawing order."""
    return figure.locator(f"g.role-axis[aria-label^='{axis}-axis'] g.role-axis-label text").all_text_contents()


def axis_title(figure, axis: str) -> str:
    return figure.locator(f"g.role-axis[aria-label^='{axis}-axis'] g.role-axis-title text").text_content()


def wait_drawn(turn, kind: str):
    turn.locator(f".ask-chart[data-drawn='{kind}']").wait_for(timeout=TIMEOUT_MS)
    return turn.locator(".ask-chart")


def ask_page(browser, base: str):
    """The demo's Ask page in SQL mode, and the list its script errors go to."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/simonw_releases/-/ask")
    if page.locator("#ask-mode").count():
        page.select_option("#ask-mode", "sql")
    return page, errors


def test_charts_in_the_browser(chart_server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = ask_page(browser, chart_server)

    # Releases per year: a line by default, one point per row, years in order on the X axis.
    first = ask(page, YEARS_QUESTION, 1)
    assert first.locator(".ask-error").count() == 0, first.inner_text()
    rows = table_rows(first)
    with sqlite3.connect(DEMO_DB) as conn:
        assert rows == [[str(v) for v in row] for row in conn.execute(YEARS_SQL).fetchall()]
    figure = wait_drawn(first, "line")
    assert figure.locator("g.mark-symbol path").count() == len(rows)
    assert axis_title(figure, "X") == "year" and axis_title(figure, "Y") == "releases"
    # The chart sits above the table.
    assert first.locator(".ask-chart + h3").inner_text().startswith("Returned")
    page.screenshot(path=str(SCREENSHOTS / "chart-line-releases-per-year.png"), full_page=True)

    # Switch to bars: one bar per row, labelled with the row's year, in the same order.
    first.locator(".ask-chart-kind[data-kind='bar']").click()
    figure = wait_drawn(first, "bar")
    assert first.locator(".ask-chart-kind[data-kind='bar']").get_attribute("aria-pressed") == "true"
    assert figure.locator("g.mark-rect path").count() == len(rows)
    assert axis_labels(figure, "Y") == [year for year, _ in rows]
    bar_labels = figure.locator("g.mark-rect path").evaluate_all(
        "paths => paths.map(p => p.getAttribute('aria-label'))"
    )
    assert bar_labels == [f"releases: {count}; year: {year}" for year, count in rows]
    page.screenshot(path=str(SCREENSHOTS / "chart-bar-releases-per-year.png"), full_page=True)

    # Hide and show again.
    first.locator(".ask-chart-hide").click()
    assert first.locator(".ask-chart-view").is_hidden()
    assert first.locator(".ask-chart-hide").inner_text() == "Show chart"
    first.locator(".ask-chart-hide").click()
    assert first.locator(".ask-chart-view").is_visible()

    # Releases per repo: bars for the top 20 of 424 repos, largest first, with the rest noted.
    second = ask(page, REPOS_QUESTION, 2)
    rows = table_rows(second)
    assert len(rows) > 20
    figure = wait_drawn(second, "bar")
    assert second.locator(".ask-chart-kind").count() == 0  # no other chart suits names and counts
    bars = figure.locator("g.mark-rect path")
    assert bars.count() == 20
    assert axis_labels(figure, "Y") == [name for name, _ in rows[:20]]
    assert axis_title(figure, "X") == REPOS_COLUMN  # quotes and markup shown as text
    assert figure.locator("svg b").count() == 0
    subtitle = figure.locator("g.role-title-subtitle text").all_text_contents()
    assert f"top 20 of {len(rows)} by {REPOS_COLUMN}; others not drawn" in subtitle
    figure.screenshot(path=str(SCREENSHOTS / "chart-bar-top-repos.png"))  # the table below has 424 rows
    assert errors == []
    page.close()


def bar_chart_of(browser, server: str, question: str):
    """(the page, its script errors, the bar chart drawn for `question`)."""
    page, errors = ask_page(browser, server)
    return page, errors, wait_drawn(ask(page, question, 1), "bar")


def test_column_names_that_break_vega_expressions_still_draw(chart_server, browser):
    page, errors, figure = bar_chart_of(browser, chart_server, ODD_QUESTION)
    assert figure.locator("g.mark-rect path").count() == 5
    assert figure.locator(".ask-chart-error").count() == 0
    assert errors == []
    page.close()


def test_tooltips_and_mark_labels_give_every_digit(chart_server, browser):
    page, errors, figure = bar_chart_of(browser, chart_server, DIGITS_QUESTION)
    bars = figure.locator("g.mark-rect path")
    labels = bars.evaluate_all("paths => paths.map(p => p.getAttribute('aria-label'))")
    assert labels == [f"{DIGITS_COLUMN}: {value!r}; name: {name}" for name, value in DIGITS]
    # Vega's default tooltip handler puts the hovered mark's tooltip in the view's title (the other two bars are
    # too thin to hover at this scale: their labels above say the same as their tooltips).
    box = bars.first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => (document.querySelector('.ask-chart-view').getAttribute('title') || '').length")
    tip = page.locator(".ask-chart-view").get_attribute("title")
    assert tip == labels[0] == f"{DIGITS_COLUMN}: {DIGITS[0][1]}; name: alpha"  # the tooltip is the mark's text
    assert errors == []
    page.close()
