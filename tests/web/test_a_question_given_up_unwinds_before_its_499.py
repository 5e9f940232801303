"""web/disconnect.run_unless_disconnected: a question given up when its client leaves has finished unwinding (its
model call stopped, its failure while stopping logged at DEBUG on the "datasette_llm" logger, nothing above) before
ClientGone is raised, and no task is left with an exception nobody retrieved (asyncio would log it at ERROR); and
when the question finishes first, the watcher on `receive` is not left behind."""

import asyncio
import gc
import logging

import pytest

from datasette_llm.web.disconnect import ClientGone, run_unless_disconnected

pytestmark = pytest.mark.no_datasette


def leaving_after(seconds: float):
    async def receive():
        await asyncio.sleep(seconds)
        return {"type": "http.disconnect"}

    return receive


@pytest.mark.asyncio
async def test_the_work_has_unwound_and_its_failure_is_logged_quietly_before_client_gone(caplog):
    state = {"unwound": False}

    async def question():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)  # stopping takes a moment (a model thread told to stop)
            state["unwound"] = True
            raise RuntimeError("failed while stopping") from None

    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ClientGone):
            await asyncio.wait_for(run_unless_disconnected(question(), leaving_after(0.1)), 5)
        assert state["unwound"], "ClientGone was raised before the given-up work had stopped"
        await asyncio.sleep(0.3)
        gc.collect()  # a task whose exception nobody retrieved says so (asyncio logs it at ERROR) when collected
        await asyncio.sleep(0.05)
    failures = [r for r in caplog.records if "cancelled question failed" in r.getMessage()]
    assert failures and failures[0].levelno == logging.DEBUG and failures[0].name == "datasette_llm"
    assert failures[0].exc_info and failures[0].exc_info[0] is RuntimeError  # with its traceback
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.INFO] == []


@pytest.mark.asyncio
async def test_the_watcher_is_stopped_when_the_work_finishes_first():
    state = {"receive_cancelled": False, "receives": 0}
    forever = asyncio.Event()

    async def receive():
        state["receives"] += 1
        try:
            await forever.wait()  # a client that stays: no message until the connection ends
        except asyncio.CancelledError:
            state["receive_cancelled"] = True
            raise
        return {"type": "http.disconnect"}

    async def question():
        await asyncio.sleep(0.05)
        return 42

    assert await asyncio.wait_for(run_unless_disconnected(question(), receive), 5) == 42
    await asyncio.sleep(0.05)
    assert state["receives"] == 1 and state["receive_cancelled"], "the watcher on receive() was left running"
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert pending == []


@pytest.mark.asyncio
async def test_a_question_that_fails_is_its_own_error_not_client_gone():
    async def question():
        await asyncio.sleep(0.01)
        raise ValueError("the model failed")

    with pytest.raises(ValueError, match="the model failed"):
        await asyncio.wait_for(run_unless_disconnected(question(), leaving_after(5)), 5)
