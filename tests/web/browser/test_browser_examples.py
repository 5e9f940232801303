"""Teaching Ask in a real browser (issue 17, part 4): "This is right", "This is wrong" and the examples page.

The demo database served in-process (uvicorn in a thread) with a scripted chat model that writes known SQL
(the embedding model that picks trusted examples is the real default one); examples and feedback go to a
state directory of this module's own. `teacher` has llm-teach through `allow_teach`, `asker` may only ask.
Screenshots go to test-artifacts/.
"""

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

QUESTION = "How many releases are there?"
SQL = "select count(*) as releases from releases"
OTHER_QUESTION = "Which repositories have the most releases?"
OTHER_SQL = "select full_name, total_releases from repos order by total_releases desc limit 10"
CORRECTED_SQL = "select repo, count(*) as releases from releases group by repo order by releases desc limit 10"
TEACHER, ASKER = {"id": "teacher"}, {"id": "asker"}
TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.browser]


class CountingModel(ScriptedModel):
    """Writes SQL for the question asked (the last message names it), and a short answer."""

    def _complete(self, messages, options, cancel):
        self.calls.append(messages)
        if messages[0]["content"] == prompts.ANSWER_SYSTEM:
            reply = "The table has the answer."
        else:
            reply = sql_reply(OTHER_SQL if OTHER_QUESTION in messages[-1]["content"] else SQL)
        return ChatResult(reply, self.count_message_tokens(messages), self.count_tokens(reply), 0.0, self.name)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not DEMO_DB.exists():
        subprocess.run([sys.executable, str(ROOT / "setup-scripts" / "build_demo_db.py")], check=True)
    plugin = {"warm_up": False, "allow_teach": TEACHER, "state_dir": str(tmp_path_factory.mktemp("state"))}
    blocks = {"plugins": {"datasette-llm": plugin}}
    ds = Datasette(
        [str(DEMO_DB)], secret="examples-secret", **({"config": blocks} if DATASETTE_1 else {"metadata": blocks})
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_ask, "chat_model_for", lambda settings: CountingModel([]))
        with serve_in_thread(ds.app()) as base:
            yield ds, base


def signed_in_page(browser, ds, base, actor):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "ds_actor", "value": ds.sign({"a": actor}, "actor"), "url": base}])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page


def ask(page, question):
    """Ask on the open Ask page; the newest answer's section, once it is complete."""
    turns = page.locator(".ask-turn").count()
    if page.locator("#ask-mode").count():
        page.select_option("#ask-mode", "sql")
    page.fill("#ask-question", question)
    page.press("#ask-question", "Enter")
    turn = page.locator(".ask-turn").nth(turns)
    turn.locator(".ask-timings").wait_for(timeout=TIMEOUT_MS)
    assert turn.locator(".ask-error").count() == 0, turn.inner_text()
    return turn


def test_teacher_marks_an_answer_right_and_manages_it(server, browser):
    ds, base = server
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = signed_in_page(browser, ds, base, TEACHER)
    page.goto(f"{base}/simonw_releases/-/ask")
    turn = ask(page, QUESTION)
    assert turn.locator(".ask-guided").count() == 0  # no trusted examples yet
    right = turn.locator("button.ask-right")
    assert right.inner_text() == "This is right" and turn.locator("button.ask-wrong").is_visible()
    right.click()
    status = turn.locator(".ask-feedback-status")
    status.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("document.querySelector('.ask-feedback-status').textContent.startsWith('Saved')")
    assert status.inner_text() == "Saved as a trusted example."
    assert right.is_hidden()
    page.screenshot(path=str(ARTIFACTS / "examples-this-is-right.png"), full_page=True)

    # The same question again: its SQL prompt now shows the trusted example, and the answer says so.
    again = ask(page, QUESTION)
    guided = again.locator("details.ask-guided")
    assert guided.locator("summary").inner_text() == "Guided by 1 trusted example"
    guided.locator("summary").click()
    # the same question: kept in the shared prompt start, and so alike it is shown again right before it
    assert guided.locator("li").all_inner_texts() == [QUESTION + " (next to your question)"]
    page.screenshot(path=str(ARTIFACTS / "examples-guided-by.png"), full_page=True)

    # The examples page lists it (the SQL without the LIMIT Ask added), with the "right" feedback.
    page.click("#ask-teach-link")
    page.wait_for_selector("#llm-examples")
    row = page.locator("#llm-examples tbody tr")
    assert row.count() == 1
    assert row.locator(".llm-question").inner_text() == QUESTION
    assert row.locator("pre.ask-sql").inner_text() == SQL
    assert "teacher" in row.inner_text()
    feedback = page.locator("#llm-feedback tbody tr")
    assert feedback.count() == 1 and feedback.locator(".llm-verdict").inner_text() == "right"
    page.screenshot(path=str(ARTIFACTS / "examples-page.png"), full_page=True)

    row.locator("button", has_text="Remove").click()
    page.wait_for_selector("#llm-no-examples")
    assert page.locator("p.message-info", has_text="Removed example #").count() == 1
    assert page.locator("#llm-examples").count() == 0
    page.locator("#llm-feedback tbody tr button", has_text="Remove").click()
    page.wait_for_selector("#llm-no-feedback")
    assert page.errors == []
    context.close()


def test_asker_says_wrong_and_the_teacher_sees_it(server, browser):
    ds, base = server
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = signed_in_page(browser, ds, base, ASKER)
    page.goto(f"{base}/simonw_releases/-/ask")
    assert page.locator("#ask-teach-link").count() == 0
    turn = ask(page, OTHER_QUESTION)
    assert turn.locator("button.ask-right").count() == 0  # no llm-teach: no "This is right"
    wrong = turn.locator("button.ask-wrong")
    assert wrong.inner_text() == "This is wrong"
    comment = turn.locator("textarea.ask-wrong-comment")
    assert comment.is_hidden()
    wrong.click()
    assert comment.is_visible() and wrong.get_attribute("aria-expanded") == "true"
    comment.fill("It should count the rows of releases.")
    turn.locator(".ask-feedback").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "examples-wrong-comment.png"))
    turn.locator("button.ask-wrong-send").click()
    page.wait_for_function("document.querySelector('.ask-feedback-status').textContent.startsWith('Thanks')")
    assert turn.locator(".ask-feedback-status").inner_text() == "Thanks — recorded."
    page.screenshot(path=str(ARTIFACTS / "examples-this-is-wrong.png"), full_page=True)
    # The asker may not open the examples page.
    assert page.goto(f"{base}/-/llm/simonw_releases/examples").status == 403
    assert page.errors == []
    context.close()

    context, page = signed_in_page(browser, ds, base, TEACHER)
    page.goto(f"{base}/-/llm/simonw_releases/examples")
    row = page.locator("#llm-feedback tbody tr")
    assert row.count() == 1
    assert row.locator(".llm-verdict").inner_text() == "wrong"
    assert row.locator(".llm-question").inner_text() == OTHER_QUESTION
    assert row.locator(".llm-comment").inner_text() == "It should count the rows of releases."
    assert "asker" in row.inner_text() and OTHER_SQL in row.locator("pre.ask-sql").inner_text()
    page.screenshot(path=str(ARTIFACTS / "examples-page-feedback.png"), full_page=True)
    # "Correct it" fills the add form with the question and SQL, ready to be fixed and added.
    row.locator("a.llm-correct").click()
    page.wait_for_selector("#llm-add-question")
    assert page.input_value("#llm-add-question") == OTHER_QUESTION
    assert page.input_value("#llm-add-sql") == OTHER_SQL
    page.fill("#llm-add-sql", CORRECTED_SQL)
    page.click("form.llm-add input[type=submit]")
    page.wait_for_selector("#llm-examples")
    assert page.locator("#llm-examples pre.ask-sql").inner_text() == CORRECTED_SQL
    page.locator("#llm-feedback tbody tr button", has_text="Remove").click()
    page.wait_for_selector("#llm-no-feedback")
    assert page.errors == []
    context.close()
