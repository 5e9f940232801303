"""Big results on the Ask page, in a real browser: long cells are cut at Datasette's truncate_cells_html with a
button that shows the rest, and the rows table is drawn once (the final result keeps the early table).

The demo database served in-process with a scripted model that asks for every datasette-* repo's README.
"""

import sqlite3
import subprocess
import sys

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from server_helpers import ARTIFACTS, DEMO_DB, ROOT, serve_in_thread

import datasette_llm.web.ask as web_ask
from datasette_llm.ask import prompts
from datasette_llm.models.base import ChatResult

SQL = "select name, readme from repos where name like 'datasette-%' order by name"
TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.browser]

# Every table element added to the turns, in order of addition (a redraw adds a second one).
COUNT_TABLES = """() => {
  window.tablesDrawn = [];
  new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach((node) => {
    if (node.nodeType !== 1) return;
    const tables = node.matches("table") ? [node] : [...node.querySelectorAll("table")];
    tables.forEach((table) => { if (!window.tablesDrawn.includes(table)) window.tablesDrawn.push(table); });
  }))).observe(document.getElementById("ask-conversation"), {childList: true, subtree: true});
}"""


class ReadmeModel(ScriptedModel):
    def _complete(self, messages, options, cancel):
        reply = "The table shows the READMEs." if messages[0]["content"] == prompts.ANSWER_SYSTEM else sql_reply(SQL)
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)


def readmes() -> list[tuple[str, str]]:
    with sqlite3.connect(DEMO_DB) as conn:
        return conn.execute(SQL).fetchall()


@pytest.fixture(scope="module", params=[2048, 0], ids=["truncate-2048", "truncate-off"])
def readme_server(request):
    if not DEMO_DB.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    blocks = {"plugins": {"datasette-llm": {"warm_up": False}}}
    ds = Datasette(
        [str(DEMO_DB)],
        settings={"truncate_cells_html": request.param},
        **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_ask, "chat_model_for", lambda settings: ReadmeModel([]))
        with serve_in_thread(ds.app()) as base:
            yield base, request.param


def asked(browser, url: str, question: str):
    """(the page, its first turn, the page's script errors) once `question` is answered in SQL mode, with every
    table the turns draw counted."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    if page.locator("#ask-mode").count():
        page.select_option("#ask-mode", "sql")
    page.evaluate(COUNT_TABLES)
    page.fill("#ask-question", question)
    page.press("#ask-question", "Enter")
    page.wait_for_selector(".ask-turn .ask-timings", timeout=TIMEOUT_MS)
    turn = page.locator(".ask-turn").first
    assert turn.locator(".ask-error").count() == 0, turn.inner_text()
    return page, turn, errors


def test_long_cells_are_cut_and_the_rows_drawn_once(readme_server, browser):
    base, limit = readme_server
    expected = readmes()
    long = [(name, text) for name, text in expected if len(text or "") > 2048]
    assert len(long) > 10, "the demo database has long READMEs"
    page, turn, errors = asked(browser, f"{base}/simonw_releases/-/ask", "Show the README of every datasette- repo")
    assert page.evaluate("window.tablesDrawn.length") == 1  # the early table became the final one
    assert page.evaluate("window.tablesDrawn[0].isConnected")
    cells = turn.locator("table.rows-and-columns td[data-column=readme]")
    assert cells.count() == len(expected)
    shown = cells.evaluate_all("tds => tds.map((td) => td.firstChild ? td.firstChild.textContent : '')")
    buttons = turn.locator("table.rows-and-columns button.ask-cell-more")
    if limit:
        assert buttons.count() == len(long)
        for (name, text), cell_text in zip(expected, shown):
            text = text or ""
            assert cell_text == (text if len(text) <= limit else text[:limit] + "… "), name
        place = [name for name, _ in expected].index(long[0][0])
        cell = cells.nth(place)
        assert cell.locator("button").inner_text() == f"show all {len(long[0][1]):,} characters"
        cell.locator("button").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ask-long-cells.png"))
        cell.locator("button").click()
        assert cell.evaluate("td => td.textContent") == long[0][1]
        assert cell.locator("button").count() == 0
    else:
        assert buttons.count() == 0
        assert shown == [text or "" for _, text in expected]
    assert errors == []
    page.close()


# Values JSON.parse would change (integers past 2**53, REALs with nothing after the point, -0.0) beside text that
# looks like numbers and text holding JSON: each cell must show what Datasette's own table shows.
NUMBERS = [
    9007199254740993,
    9223372036854775807,
    -9223372036854775808,
    1234567890123456789,
    1.0,
    -0.0,
    0.1 + 0.2,
    1e16,
    5e-324,
    42,
    "9223372036854775807",
    '{"$number":"5"}',
    'a "quoted" 1.0 and \\ 2.50',
    None,
    b"\x00\x01\x02",
    bytes(150_016),  # longer than a cell holds: fetched clipped, shown with its size in the database
    "y" * 150_000,  # the same for text: cut at 100,000 characters, and the page does not call that "all"
]


class NumbersModel(ScriptedModel):
    def _complete(self, messages, options, cancel):
        reply = "Here they are." if messages[0]["content"] == prompts.ANSWER_SYSTEM else sql_reply("select v from t")
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)


def test_numbers_are_shown_as_the_database_returned_them(tmp_path, browser):
    path = tmp_path / "numbers.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (id integer primary key, v)")
        conn.executemany("insert into t (v) values (?)", [(value,) for value in NUMBERS])
        stored = [value for (value,) in conn.execute("select v from t")]
    conn.close()
    # As Python (and so Datasette's own table page) writes each value.
    expected = [
        ""
        if value is None
        else f"<Binary: {len(value)} bytes>"
        if isinstance(value, bytes)
        else "y" * 2048 + "… show the first 100,000 characters (the cell is longer)"
        if value == "y" * 150_000
        else repr(value)
        if isinstance(value, float)
        else str(value)
        for value in stored
    ]
    assert expected[:5] == [
        "9007199254740993",
        "9223372036854775807",
        "-9223372036854775808",
        "1234567890123456789",
        "1.0",
    ]
    blocks = {"plugins": {"datasette-llm": {"warm_up": False}}}
    ds = Datasette([str(path)], **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_ask, "chat_model_for", lambda settings: NumbersModel([]))
        with serve_in_thread(ds.app()) as base:
            page, turn, errors = asked(browser, f"{base}/numbers/-/ask", "Show every value")
            # The early table (the rows event) and the final one (the result) are the same element.
            assert page.evaluate("window.tablesDrawn.length") == 1
            cells = turn.locator("table.rows-and-columns td[data-column=v]")
            assert cells.evaluate_all("tds => tds.map((td) => td.textContent)") == expected
            classes = cells.evaluate_all("tds => tds.map((td) => td.className)")
            assert classes == [
                "type-none"
                if v is None
                else "type-float"
                if isinstance(v, float)
                else "type-int"
                if isinstance(v, int)
                else "type-bytes"
                if isinstance(v, bytes)
                else "type-str"
                for v in stored
            ]
            assert errors == []
            page.close()


class EmojiModel(ScriptedModel):
    def _complete(self, messages, options, cancel):
        reply = "Here they are." if messages[0]["content"] == prompts.ANSWER_SYSTEM else sql_reply("select s from e")
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)


def test_a_complete_result_cut_for_the_model_counts_its_rows_and_characters_as_sqlite_does(tmp_path, browser):
    """A result of 3 rows, one cell cut for the model only, said "Returned at least 3 rows"; a cell of 2,100 emoji
    offered "show all 4,200 characters" and was cut inside an emoji (an outside tester, session 40)."""
    path = tmp_path / "emoji.db"
    emoji = "\U0001f600" * 2100
    with sqlite3.connect(path) as conn:
        conn.execute("create table e (s text)")
        conn.executemany("insert into e values (?)", [(emoji,), ("short",), ("also short",)])
        assert conn.execute("select length(s) from e limit 1").fetchone()[0] == 2100
    conn.close()
    blocks = {"plugins": {"datasette-llm": {"warm_up": False}}}
    ds = Datasette(
        [str(path)],
        settings={"truncate_cells_html": 2048},
        **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_ask, "chat_model_for", lambda settings: EmojiModel([], context=2048))
        with serve_in_thread(ds.app()) as base:
            page, turn, errors = asked(browser, f"{base}/emoji/-/ask", "Show every value")
            assert turn.locator("h3", has_text="Returned").inner_text() == "Returned 3 rows"
            cell = turn.locator("table.rows-and-columns td[data-column=s]").first
            assert cell.locator("button").inner_text() == "show all 2,100 characters"
            assert cell.evaluate("td => td.firstChild.textContent") == "\U0001f600" * 2048 + "… "
            assert errors == []
            page.close()
