"""Work for a client that may leave: a request that runs a model is given up the moment its client disconnects,
so nobody's abandoned question keeps the model busy (web/ask.py, web/agents.py)."""

from __future__ import annotations

import asyncio
import logging

from datasette.utils.asgi import Response

logger = logging.getLogger("datasette_llm")


async def wait_for_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class ClientGone(Exception):
    """The client disconnected before the work finished; the work was cancelled."""


def client_gone_response() -> Response:
    """What a view returns once its client has gone: nobody receives it; 499 ("client closed request") is for
    the access log."""
    return Response.text("The client disconnected.", status=499)


async def run_unless_disconnected(coroutine, receive):
    """Await `coroutine`, but cancel it as soon as the client disconnects (then raise ClientGone)."""
    task = asyncio.ensure_future(coroutine)
    watcher = asyncio.ensure_future(wait_for_disconnect(receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
    if task.done() and not task.cancelled():
        return task.result()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:  # it failed while being cancelled; nobody is listening any more
        logger.debug("datasette-llm: a cancelled question failed", exc_info=True)
    raise ClientGone()
