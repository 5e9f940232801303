"""The model's queue: bounded admission, a worker pool whose clients take turns, and work given up on dropped or
told to stop (every backend's calls go through one Gate, models/base.py)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from ..errors import ModelBusy, ModelTimeout
from ..fair_share import FairQueue, TakingTurns, TooManyOfYours


class _Dropped(Exception):
    """A job whose request was given up before the job started."""


class Gate:
    """Bounded admission + a worker pool whose clients take turns. `workers=1` serialises (a llama.cpp context is not
    thread-safe)."""

    def __init__(self, workers: int, queue_limit: int):
        self.executor = TakingTurns(workers, thread_name_prefix="datasette-llm")  # clients take turns
        self.places = FairQueue(queue_limit)  # a client holds at most half of them (fair_share.py)

    @property
    def waiting(self) -> int:
        return self.places.waiting

    def admit(self, name: str) -> str | None:
        def busy(waiting: int) -> ModelBusy:
            return ModelBusy(
                f"The model {name} is busy with {waiting} requests; try again in a few seconds.", retry_after=5
            )

        return self.places.enter("requests waiting for the model", busy)

    def submit(self, name: str, job: Callable, cancel: threading.Event) -> Future:
        """Admit a request (or raise ModelBusy, or TooManyOfYours past its client's share) and run `job()` in the
        pool. The request keeps its place until the job has finished, or was dropped before it started: a client
        that went away frees nothing while its work still runs (an outside attacker who dropped 40 requests, 4
        admitted at a time, kept the model busy for 27 s after the last one while real questions timed out). A job
        whose `cancel` is set before it starts does not run."""
        ticket = Ticket(self.places, self.admit(name))

        def run():
            try:
                if cancel.is_set():
                    raise _Dropped()
                return job()
            finally:
                ticket.leave()  # before the outcome is set: whoever awaits the job finds its place free

        try:
            # In the caller's context: who asks (reply_cache.SCOPE) is read where a server's refusal is learned.
            future = self.executor.submit(contextvars.copy_context().run, run)
        except BaseException:
            ticket.leave()
            raise
        future.ticket = ticket  # abandon() marks it given up
        future.add_done_callback(lambda _: ticket.leave())  # a job dropped before it ran
        return future

    async def submit_when_admitted(self, name: str, job: Callable, cancel: threading.Event, deadline: float):
        """submit(), waiting while this client's share is held by work it gave up on, which ends soon: a person who
        pressed Cancel twice on a slow server and asked again was refused with a 429 (a second outside tester,
        session 38); an attacker who gives up its requests waits behind them the same way."""
        loop = asyncio.get_running_loop()
        while True:
            freed = loop.create_future()
            # watched before trying: a place freed in between is not missed
            unwatch = self.places.watch(functools.partial(_wake, loop, freed))
            try:
                try:
                    return self.submit(name, job, cancel)
                except TooManyOfYours as refused:
                    if not refused.own_given_up or time.monotonic() >= deadline:
                        raise
                try:
                    await asyncio.wait_for(freed, max(0.01, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    pass  # tried once more: the 429 it would have been
            finally:
                unwatch()

    async def run(self, name: str, job: Callable, cancel: threading.Event, timeout: float, timed_out: str):
        """submit() and wait at most `timeout` seconds (then ModelTimeout(timed_out)); work the caller gives up
        on is dropped or told to stop."""
        deadline = time.monotonic() + timeout
        future = await self.submit_when_admitted(name, job, cancel, deadline)
        try:
            return await asyncio.wait_for(asyncio.shield(awaitable(future)), max(0.01, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            abandon(future, cancel)
            raise ModelTimeout(timed_out) from None
        except asyncio.CancelledError:
            abandon(future, cancel)
            raise


class Ticket:
    """One admitted request's place: given back once, as given up or not."""

    def __init__(self, places: FairQueue, holder: str | None):
        self.places, self.holder = places, holder
        self.lock = threading.Lock()
        self.left = self.given_up = False

    def give_up(self) -> None:
        with self.lock:
            if self.left or self.given_up:
                return
            self.given_up = True
            self.places.give_up(self.holder)

    def leave(self) -> None:
        with self.lock:
            if self.left:
                return
            self.left = True
            self.places.leave(self.holder, self.given_up)


def _wake(loop: asyncio.AbstractEventLoop, freed: asyncio.Future) -> None:
    """Wake a waiter from the thread that freed a place (the waiter's loop may have ended: nothing to wake)."""
    try:
        loop.call_soon_threadsafe(lambda: freed.done() or freed.set_result(None))
    except RuntimeError:  # the loop is closed
        pass


def abandon(future: Future, cancel: threading.Event) -> None:
    """Nobody waits for this work any more: drop it if it has not started, else ask it to stop (it keeps its place
    until it ends, marked as given up)."""
    cancel.set()
    if not future.cancel() and not future.done():
        ticket = getattr(future, "ticket", None)
        if ticket is not None:
            ticket.give_up()


def awaitable(future: Future) -> asyncio.Future:
    """`future` for the event loop; an outcome nobody awaits any more is retrieved quietly."""
    wrapped = asyncio.wrap_future(future)
    wrapped.add_done_callback(lambda done: done.cancelled() or done.exception())
    return wrapped
