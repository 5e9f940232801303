"""TakingTurns remembers the last turn of at most `remembered` clients: the ones forgotten are those whose last call
started longest ago, so forgetting never moves a client that ran recently ahead of one that ran before it.

Found by an outside
tester's mutation run (session 55): forgetting the client that just ran (it then goes first every time, as one that
never ran), forgetting by first turn instead of last, remembering one client fewer, or keeping every client that ever
asked among the waiting, went unnoticed."""

import contextvars
import threading
import time

import pytest

from datasette_llm.fair_share import CLIENT, TakingTurns

pytestmark = pytest.mark.no_datasette


def submit(turns, client, fn):
    def go():
        CLIENT.set(client)
        return turns.submit(fn)

    return contextvars.copy_context().run(go)


def order_after(turns, blocker, queued):
    """Run `blocker`'s call (it takes a turn and holds the one worker), queue one call of each client of `queued`
    meanwhile, let it go: the order the queued calls ran in."""
    go, ran = threading.Event(), []
    first = submit(turns, blocker, lambda: go.wait(5))
    time.sleep(0.05)
    futures = [submit(turns, client, lambda client=client: ran.append(client)) for client in queued]
    go.set()
    first.result(5)
    for future in futures:
        future.result(5)
    return ran


def test_the_client_forgotten_is_the_one_whose_last_turn_is_oldest():
    turns = TakingTurns(1, remembered=2)
    try:
        for client in ("a", "b", "a"):  # last turns: b 2, a 3
            submit(turns, client, lambda: None).result(5)
        # d takes turn 4: b, whose last turn is the oldest, is forgotten (not a, which came first but ran since)
        assert order_after(turns, "d", ["a", "b"]) == ["b", "a"]
    finally:
        turns.shutdown()


def test_the_client_that_just_ran_is_never_the_one_forgotten():
    """Forgotten as it starts, a client would go first again at once, as one that has never run."""
    turns = TakingTurns(1, remembered=2)
    try:
        for client in ("a", "b"):
            submit(turns, client, lambda: None).result(5)
        # c takes turn 3 while both places are taken: a (turn 1) is forgotten, c is remembered
        assert order_after(turns, "c", ["c", "a"]) == ["a", "c"]
    finally:
        turns.shutdown()


def test_clients_whose_calls_have_all_been_taken_are_no_longer_waiting():
    """The waiting clients are those with calls waiting: every client that ever asked, kept there, would make
    each turn's choice longer and the executor's memory grow with every address that ever sent a question."""
    turns = TakingTurns(1, remembered=8)
    try:
        futures = [submit(turns, f"address:{n}", lambda: None) for n in range(200)]
        cancelled = submit(turns, "address:gone", lambda: None)
        cancelled.cancel()
        for future in futures:
            future.result(5)
        submit(turns, "address:last", lambda: None).result(5)
        assert dict(turns.waiting) == {}
        assert len(turns.last_start) <= 8
    finally:
        turns.shutdown()
