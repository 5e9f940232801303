"""A request to an OpenAI-compatible server that its asker gives up is closed at once, not when the server
answers: a request that does not stream (how the SQL is written) had no byte to look between, so a client that
left ask.json while its SQL was written left the model request open, and its places in the queue held, until
the server answered (an outside tester, session 54: the next question waited 19.6 s)."""

import asyncio
import time

import pytest
from fault_server import FaultServer
from test_faults import HELLO, model_for

pytestmark = pytest.mark.no_datasette


async def _give_up_once_sent(server, call) -> float:
    """Start `call`, cancel it once the server holds its request; when it was given up."""
    task = asyncio.ensure_future(call)
    deadline = time.monotonic() + 10
    while server.requests == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert server.requests == 1, "the request never reached the server"
    await asyncio.sleep(0.4)  # the client now waits for the headers
    left = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    while server.closed_at is None and time.monotonic() - left < 10:
        await asyncio.sleep(0.02)
    return left


async def _consume(stream):
    async for _ in stream:
        pass


@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
def test_a_request_given_up_is_closed_at_the_server_and_frees_its_place(streamed):
    with FaultServer("hold") as server:
        model = model_for(server.base_url, timeout=30)

        async def run():
            call = _consume(model.stream(HELLO)) if streamed else model.chat(HELLO)
            left = await _give_up_once_sent(server, call)
            assert server.closed_at is not None, "the request was still open 10 s after it was given up"
            assert server.closed_at - left < 2.0
            while model._gate.waiting and time.monotonic() - left < 5:
                await asyncio.sleep(0.02)
            assert model._gate.waiting == 0

        asyncio.run(run())
        server.behaviour = "ok"  # the same model answers the next request
        assert "select 1" in asyncio.run(model.chat(HELLO)).text
        assert server.requests == 2  # the given-up request was not sent again


def test_a_request_nobody_gives_up_waits_for_a_server_slower_than_a_look():
    """The reads wait in slices, looking for a give-up between them: a reply that comes later is still read."""
    with FaultServer("late") as server:
        model = model_for(server.base_url, timeout=10)
        assert "select 1" in asyncio.run(model.chat(HELLO)).text
        assert server.requests == 1
