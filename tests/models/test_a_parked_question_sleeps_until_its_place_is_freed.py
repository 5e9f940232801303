"""A question that waits for its client's given-up work (models/gate.submit_when_admitted) sleeps until a place of
that client is freed: it does not look again and again. Each parked question used to try every 50 ms (800 parked
questions cost the server 4.3 s of CPU in 17 s; an outside tester, session 55)."""

import asyncio
import contextvars
import threading
import time

import pytest

from datasette_llm.fair_share import CLIENT, TooManyOfYours
from datasette_llm.models.gate import Gate
from tests.models.test_gate_admission_rules import give_up_two

pytestmark = pytest.mark.no_datasette


def counting_submits(gate):
    """The times client address:a tried to take a place."""
    tries = []
    submit = gate.submit

    def counted(*args, **kwargs):
        if CLIENT.get() == "address:a":
            tries.append(time.monotonic())
        return submit(*args, **kwargs)

    gate.submit = counted
    return tries


def run_as(client, coroutine_function):
    async def main():
        CLIENT.set(client)
        return await coroutine_function()

    return contextvars.copy_context().run(asyncio.run, main())


def test_a_parked_question_tries_again_only_when_a_place_is_freed():
    gate = Gate(4, 4)
    release = threading.Event()

    async def scenario():
        await give_up_two(gate, lambda: release.wait(10))
        tries = counting_submits(gate)
        waiter = asyncio.ensure_future(
            gate.submit_when_admitted("m", lambda: "answer", threading.Event(), time.monotonic() + 30)
        )
        await asyncio.sleep(0.8)  # the given-up work still runs: nothing freed, nothing to try
        parked_tries = len(tries)
        freed_at = time.monotonic()
        release.set()  # both given-up calls end: two places freed
        future = await asyncio.wait_for(waiter, 10)
        return parked_tries, tries, freed_at, await asyncio.wrap_future(future)

    try:
        parked_tries, tries, freed_at, answer = run_as("address:a", scenario)
    finally:
        release.set()
        gate.executor.shutdown()
    assert parked_tries == 1, f"tried {parked_tries} times while nothing was freed"
    assert answer == "answer"
    assert len(tries) <= 3  # once at first, once for each place freed at most
    assert tries[-1] - freed_at < 2.0  # woken by the place freed, not by a timer
    assert gate.places.watchers == {}


def test_a_parked_question_is_not_woken_by_another_clients_place():
    gate = Gate(4, 4)
    release, other_release = threading.Event(), threading.Event()

    async def scenario():
        await give_up_two(gate, lambda: release.wait(10))
        tries = counting_submits(gate)
        waiter = asyncio.ensure_future(
            gate.submit_when_admitted("m", lambda: "answer", threading.Event(), time.monotonic() + 30)
        )
        await asyncio.sleep(0.1)

        def other_clients_call():
            CLIENT.set("address:b")
            return gate.submit("m", lambda: other_release.wait(10), threading.Event())

        other = contextvars.copy_context().run(other_clients_call)
        other_release.set()
        await asyncio.wrap_future(other)  # address:b's place is freed
        await asyncio.sleep(0.2)
        tries_after_other = len(tries)
        release.set()
        await asyncio.wrap_future(await asyncio.wait_for(waiter, 10))
        return tries_after_other

    try:
        tries_after_other = run_as("address:a", scenario)
    finally:
        release.set()
        other_release.set()
        gate.executor.shutdown()
    assert tries_after_other == 1


def test_a_parked_question_still_ends_at_its_deadline_and_stops_watching():
    gate = Gate(4, 4)
    release = threading.Event()

    async def scenario():
        await give_up_two(gate, lambda: release.wait(10))
        tries = counting_submits(gate)
        started = time.monotonic()
        with pytest.raises(TooManyOfYours):
            await gate.submit_when_admitted("m", lambda: "x", threading.Event(), time.monotonic() + 0.5)
        return time.monotonic() - started, len(tries)

    try:
        waited, tries = run_as("address:a", scenario)
    finally:
        release.set()
        gate.executor.shutdown()
    assert 0.45 <= waited < 3, waited
    assert tries == 2  # at first, and once more at the deadline
    assert gate.places.watchers == {}


def test_many_parked_questions_are_all_admitted_as_places_free():
    """Forty questions parked behind two given-up calls: each is admitted (or told 429 by the share) once places
    free, none is lost and none waits for a timer."""
    gate = Gate(4, 4)
    release = threading.Event()

    async def scenario():
        await give_up_two(gate, lambda: release.wait(10))
        tries = counting_submits(gate)
        deadline = time.monotonic() + 2

        async def one():
            try:
                future = await gate.submit_when_admitted("m", lambda: "answer", threading.Event(), deadline)
            except TooManyOfYours:
                return "429"
            return await asyncio.wrap_future(future)

        waiters = [asyncio.ensure_future(one()) for _ in range(40)]
        await asyncio.sleep(0.5)
        parked_tries = len(tries)
        release.set()
        return parked_tries, await asyncio.gather(*waiters)

    try:
        parked_tries, outcomes = run_as("address:a", scenario)
    finally:
        release.set()
        gate.executor.shutdown()
    assert parked_tries == 40
    assert set(outcomes) <= {"answer", "429"} and outcomes.count("answer") >= 2
    assert gate.places.watchers == {} and gate.places.held == {} and gate.waiting == 0
