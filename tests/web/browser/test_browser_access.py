"""The Ask page for people who use a keyboard, a screen reader or a narrow screen, in real Chromium.

An outside tester (session 41) ran axe-core and keyboard-only walks over every state of the plugin's pages: the
answer was never announced (the only live region was hidden when it came), focus fell to the page's body after
feedback, the plugin's own colours were below WCAG AA's contrast, wide content could not be scrolled without a
mouse, and Escape did not cancel. The oracles here do not name the elements they found: every live region's
words, every text's contrast, every box that scrolls.

The demo database served in-process with a scripted chat model; `teacher` may teach.
"""

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette.app import Datasette
from datasette_versions import DATASETTE_1
from server_helpers import DEMO_DB, ROOT, serve_in_thread

import datasette_llm.web.ask as web_ask
from datasette_llm.ask import prompts
from datasette_llm.models.base import ChatResult

QUESTION = "How many releases are there?"
SLOW_QUESTION = "Which repository is the slowest to answer?"
CHART_QUESTION = "How many releases does each repository have?"
TEACHER = {"id": "teacher"}
TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.browser]


class PageModel(ScriptedModel):
    """Writes SQL for the question asked and a short answer; SLOW_QUESTION's answer takes until cancelled."""

    def _complete(self, messages, options, cancel: threading.Event):
        if messages[0]["content"] == prompts.ANSWER_SYSTEM:
            if SLOW_QUESTION in messages[-1]["content"]:
                cancel.wait(30)
            reply = "There are **2,385** releases in the table."
        elif CHART_QUESTION in messages[-1]["content"]:
            reply = sql_reply("select repo, count(*) as releases from releases group by repo order by 2 desc")
        else:
            reply = sql_reply("select count(*) as releases from releases")
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not DEMO_DB.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    notes = tmp_path_factory.mktemp("notes") / "notes.db"
    with sqlite3.connect(notes) as conn:  # text with long unbroken URLs, as READMEs have, to search
        conn.execute("create table docs (id integer primary key, body text)")
        url = "https://img.shields.io/badge/screenshots-of-web-pages-" + "x" * 120 + ".svg"
        conn.executemany(
            "insert into docs (body) values (?)", [(f"Screenshots of web pages {i} {url}",) for i in range(4)]
        )
    subprocess.run(
        [str(Path(sys.executable).parent / "datasette"), "llm", "embed", str(notes), "docs"], check=True, cwd=ROOT
    )
    plugin = {"warm_up": False, "allow_teach": TEACHER, "state_dir": str(tmp_path_factory.mktemp("state"))}
    blocks = {"plugins": {"datasette-llm": plugin}}
    ds = Datasette(
        [str(DEMO_DB), str(notes)],
        secret="access-secret",
        **({"config": blocks} if DATASETTE_1 else {"metadata": blocks}),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_ask, "chat_model_for", lambda settings: PageModel([]))
        with serve_in_thread(ds.app()) as base:
            yield ds, base


def open_page(browser, ds, base, width=1280, actor=TEACHER):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "ds_actor", "value": ds.sign({"a": actor}, "actor"), "url": base}])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{base}/simonw_releases/-/ask")
    if page.locator("#ask-mode").count():
        page.select_option("#ask-mode", "sql")
    # every text that a live region holds while it is shown, as a screen reader would be told it
    page.evaluate("""() => {
        window.announced = [];
        const live = "[role=status], [role=alert], [aria-live]";
        const heard = node => {
            const region = node.nodeType === 1 ? node.closest(live) : node.parentElement?.closest(live);
            if (region && !region.closest("[hidden]") && region.textContent.trim()) {
                window.announced.push(region.textContent.trim());
            }
        };
        new MutationObserver(changes => changes.forEach(change => {
            heard(change.target);
            change.addedNodes.forEach(heard);
        })).observe(document.body, {childList: true, characterData: true, subtree: true});
    }""")
    return context, page


def ask(page, question, wait=True):
    turns = page.locator(".ask-turn").count()
    page.fill("#ask-question", question)
    page.press("#ask-question", "Enter")
    turn = page.locator(".ask-turn").nth(turns)
    if wait:
        turn.locator(".ask-timings").wait_for(timeout=TIMEOUT_MS)
    return turn


def test_the_answer_and_a_cancel_are_announced_and_escape_cancels(server, browser):
    ds, base = server
    context, page = open_page(browser, ds, base)
    try:
        ask(page, QUESTION)
        said = "() => window.announced.some(t => t.includes('There are 2,385 releases'))"
        page.wait_for_function(said, timeout=TIMEOUT_MS)  # as the page draws it, not its markup's stars
        assert any("1 row returned" in text for text in page.evaluate("window.announced"))
        assert not any("**" in text for text in page.evaluate("window.announced"))
        turn = ask(page, SLOW_QUESTION, wait=False)
        page.wait_for_selector("#ask-progress[data-stage='answering']", timeout=TIMEOUT_MS)
        page.keyboard.press("Escape")  # from wherever focus is: the question box
        turn.locator(".ask-cancelled").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("() => window.announced.includes('Cancelled.')", timeout=TIMEOUT_MS)
        assert page.errors == []
    finally:
        context.close()


def test_focus_stays_by_the_feedback_once_it_is_sent(server, browser):
    ds, base = server
    context, page = open_page(browser, ds, base)
    try:
        turn = ask(page, QUESTION)
        turn.locator(".ask-right").focus()
        page.keyboard.press("Enter")
        turn.locator(".ask-feedback-status").filter(has_text="Saved").wait_for(timeout=TIMEOUT_MS)
        focused = page.evaluate("document.activeElement.className")
        assert "ask-feedback-status" in focused  # not the page's body: the next Tab goes on from here
        turn = ask(page, QUESTION)
        turn.locator(".ask-wrong").focus()
        page.keyboard.press("Enter")
        page.keyboard.type("It counts every release.")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # Send
        turn.locator(".ask-feedback-status").filter(has_text="recorded").wait_for(timeout=TIMEOUT_MS)
        assert "ask-feedback-status" in page.evaluate("document.activeElement.className")

        # but not away from where the person went while it was saved: the question being typed keeps its focus
        turn = ask(page, QUESTION)
        page.evaluate("""() => {
            const original = window.fetch;
            window.fetch = (url, options) => String(url).includes("feedback")
                ? new Promise(done => { window.releaseFeedback = () => done(original(url, options)); })
                : original(url, options);
        }""")
        turn.locator(".ask-right").click()
        page.wait_for_function("() => window.releaseFeedback", timeout=TIMEOUT_MS)
        page.focus("#ask-question")
        page.keyboard.type("next question")
        page.evaluate("window.releaseFeedback()")
        turn.locator(".ask-feedback-status").filter(has_text="Saved").wait_for(timeout=TIMEOUT_MS)
        page.keyboard.type(" typed on")
        assert page.input_value("#ask-question") == "next question typed on"
    finally:
        context.close()


# WCAG 2.1 AA contrast of every text node in the plugin's parts of the page. Datasette's own form buttons (Ask,
# Cancel, Start over take its styles) and disabled controls are left out.
CONTRAST = """(roots) => {
    const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
        const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = node => {
        for (let n = node; n; n = n.parentElement) {
            const c = parse(getComputedStyle(n).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const failures = [];
    const check = (node, style, what) => {
        const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const r = ratio(lum(parse(style.color).slice(0, 3)), lum(background(node)));
        const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
        const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
        if (r < needed) failures.push(`${what}: ${style.color} ${r.toFixed(2)}:1`);
    };
    for (const root of document.querySelectorAll(roots)) {
        for (const node of [root, ...root.querySelectorAll("*")]) {
            if (!node.getClientRects().length || node.closest("[hidden], [aria-hidden=true]")) continue;
            if (node.disabled || node.matches("#ask-form button, #ask-form input")) continue;
            const text = [...node.childNodes].some(c => c.nodeType === 3 && c.textContent.trim());
            const name = node.tagName.toLowerCase() + (node.className ? "." + node.className : "");
            if (text) check(node, getComputedStyle(node), name);
            const before = getComputedStyle(node, "::before");
            if (before.content && before.content !== "none" && before.content !== '""') {
                check(node, before, name + "::before");
            }
        }
    }
    return failures;
}"""
PLUGIN_PARTS = "#ask-conversation, .ask-examples, .ask-form, #ask-progress"


def test_the_plugins_text_has_enough_contrast(server, browser):
    ds, base = server
    context, page = open_page(browser, ds, base)
    try:
        assert page.evaluate(CONTRAST, PLUGIN_PARTS) == []  # the examples to try, the question box
        ask(page, CHART_QUESTION)
        assert page.evaluate(CONTRAST, PLUGIN_PARTS) == []  # an answer, its SQL, chart, rows, feedback
        page.goto(f"{base}/-/llm/simonw_releases/examples")
        assert page.locator("form.llm-remove button").count()  # the example the teacher saved above
        assert page.evaluate(CONTRAST, "table.llm-examples-table") == []  # its rows and Remove buttons
    finally:
        context.close()


# Every box whose content is wider than it and that scrolls it: the keyboard must reach it (focusable, or
# holding something focusable), or what is out of sight is out of reach without a mouse.
SCROLLERS = """() => [...document.querySelectorAll("#ask-conversation *")].filter(node => {
    const style = getComputedStyle(node);
    const wide = node.scrollWidth > node.clientWidth + 1;
    return wide && /auto|scroll/.test(style.overflowX) && node.getClientRects().length;
}).filter(node => node.tabIndex < 0 && !node.querySelector("a[href], button, input, select, textarea, [tabindex]"))
  .map(node => node.tagName.toLowerCase() + "." + node.className)"""


def test_at_320_pixels_what_scrolls_can_be_scrolled_by_keyboard_and_search_fits(server, browser):
    ds, base = server
    context, page = open_page(browser, ds, base, width=320)
    try:
        turn = ask(page, CHART_QUESTION)
        assert turn.locator(".ask-chart-view").count() == 1
        save = turn.locator(".ask-save-query")
        if save.count() and save.get_attribute("aria-expanded") == "false":  # a snippet to copy (0.65)
            save.click()
            assert turn.locator("pre.ask-save-snippet").is_visible()
        assert page.evaluate(SCROLLERS) == []
        page.goto(f"{base}/notes/docs/-/semantic-search?q=screenshots+of+web+pages")
        page.wait_for_selector(".llm-hit", timeout=TIMEOUT_MS)
        # the long unbroken URLs made the whole page scroll sideways
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 320 + 1
    finally:
        context.close()
