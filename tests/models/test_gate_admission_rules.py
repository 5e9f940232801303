"""The model's gate (models/gate.py), rule by rule: a job whose request was given up before it started does not run
and gives its place back; a request waiting for its client's given-up work waits no longer than its deadline.

Found by an outside tester's mutation run (session 55): a
gate that ran a job already told to stop, and one that waited past the deadline for given-up work, went unnoticed."""

import asyncio
import contextvars
import threading
import time

import pytest

from datasette_llm.fair_share import CLIENT, TooManyOfYours
from datasette_llm.models.gate import Gate, abandon

pytestmark = pytest.mark.no_datasette


def in_client(client, fn):
    def go():
        CLIENT.set(client)
        return fn()

    return contextvars.copy_context().run(go)


async def give_up_two(gate, work):
    """Two calls of the current client that start running `work`, then are given up while they run."""
    held = []
    for _ in range(2):
        cancel = threading.Event()
        held.append((gate.submit("m", work, cancel), cancel))
    await asyncio.sleep(0.05)
    for future, cancel in held:
        abandon(future, cancel)


def test_a_job_told_to_stop_before_it_starts_does_not_run_and_gives_its_place_back():
    """A job whose `cancel` is set before it starts does not run (gate.submit). The worker may already have taken
    the call when the request is given up: future.cancel() then fails, and only this check keeps the job from
    running."""
    gate = Gate(1, 4)
    ran = []
    cancel = threading.Event()
    cancel.set()
    future = in_client("address:a", lambda: gate.submit("m", lambda: ran.append(1), cancel))
    with pytest.raises(Exception) as failed:
        future.result(5)
    assert type(failed.value).__name__ == "_Dropped"
    assert ran == [] and gate.waiting == 0 and gate.places.held == {}
    gate.executor.shutdown()


def test_waiting_for_given_up_work_ends_at_the_deadline():
    """A question asked while the client's share holds only work it gave up on waits for that work, but never past
    its own deadline: then it is the 429 it would have been (the work given up may run on for a long time: an
    OpenAI-compatible request cannot be stopped before the server answers)."""
    gate = Gate(4, 4)
    release = threading.Event()

    async def main():
        CLIENT.set("address:a")
        await give_up_two(gate, lambda: release.wait(10))
        assert gate.places.given_up == {"address:a": 2}
        started = time.monotonic()
        with pytest.raises(TooManyOfYours):
            await gate.submit_when_admitted("m", lambda: "x", threading.Event(), time.monotonic() + 0.3)
        return time.monotonic() - started

    try:
        waited = contextvars.copy_context().run(asyncio.run, main())
        assert 0.25 <= waited < 2, waited
    finally:
        release.set()
        gate.executor.shutdown()


def test_the_timeout_counts_the_wait_for_given_up_work():
    """model_timeout is the whole wait: a question that first waited for its client's given-up work has only what
    is left of it for its own call (a 504 then, not twice the timeout)."""
    from datasette_llm.errors import ModelTimeout

    gate = Gate(4, 4)
    release, never = threading.Event(), threading.Event()

    async def main():
        CLIENT.set("address:a")
        await give_up_two(gate, lambda: release.wait(0.6))
        started = time.monotonic()
        with pytest.raises(ModelTimeout):
            await gate.run("m", lambda: never.wait(5), threading.Event(), 1.0, "too slow")
        return time.monotonic() - started

    try:
        took = contextvars.copy_context().run(asyncio.run, main())
        assert 0.9 <= took < 1.4, took
    finally:
        never.set()
        release.set()
        gate.executor.shutdown()
