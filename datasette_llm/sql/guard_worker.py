"""The guard for request-sized SQL, in a worker process: off the event loop, with a queue and a time budget.

Parsing is pure Python: a long hostile statement costs half a second of CPU, and in a thread it would hold the
GIL that the event loop needs, so every other request (a health check too) would wait. In a child process
(`python -m datasette_llm.sql.guard_worker`, fed over a pipe) it cannot, and a statement that takes longer than
the budget is stopped by ending that process; the next statement starts a fresh one.

Statements queue for the one worker; beyond GUARD_QUEUE waiting the answer is 503. Where no process can be
started, the check runs on a thread instead (same queue and budget, without the isolation).
"""

from __future__ import annotations

import asyncio
import pickle
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from ..errors import Busy

GUARD_QUEUE = 8
GUARD_SECONDS = 5.0
_HEADER = struct.Struct("!I")


class GuardBusy(Busy):
    code = "guard_busy"


class _Worker:
    """One child process answering check_select calls, one at a time."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "datasette_llm.sql.guard_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def call(self, payload: bytes) -> bytes:
        self.process.stdin.write(_HEADER.pack(len(payload)) + payload)
        self.process.stdin.flush()
        return _read_frame(self.process.stdout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def _read_frame(stream) -> bytes:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the guard worker ended")
    (size,) = _HEADER.unpack(header)
    return stream.read(size)


_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="datasette-llm-guard")
_lock = threading.Lock()
_worker: _Worker | None = None
_waiting = 0


def _call_worker(payload: bytes):
    global _worker
    with _lock:
        if _worker is None:
            _worker = _Worker()
        try:
            return pickle.loads(_worker.call(payload))  # our own child's answer
        except (EOFError, OSError, pickle.UnpicklingError):
            _worker = None  # it died, or was ended for overrunning: the next call starts a fresh one
            raise EOFError("the guard worker ended") from None


def _end_worker() -> None:
    global _worker
    worker = _worker
    if worker is not None:
        worker.kill()


async def check_in_worker(sql: str, schema, **kwargs):
    """guard.check_select(sql, schema, **kwargs) in the worker; TimeoutError past GUARD_SECONDS."""
    global _waiting
    if _waiting >= GUARD_QUEUE:
        raise GuardBusy("Too many queries are being checked right now; try again in a few seconds.", retry_after=2)
    _waiting += 1
    try:
        payload = pickle.dumps((sql, schema, kwargs))
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(_thread, _call_worker, payload)
            return await asyncio.wait_for(future, GUARD_SECONDS)
        except asyncio.TimeoutError:
            _end_worker()
            raise TimeoutError from None
        except (EOFError, OSError):  # no child process here, or it died: check on the thread instead
            from .guard import check_select

            future = loop.run_in_executor(_thread, lambda: check_select(sql, schema, **kwargs))
            return await asyncio.wait_for(future, GUARD_SECONDS)
    finally:
        _waiting -= 1


def _serve() -> None:
    from .guard import check_select

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            sql, schema, kwargs = pickle.loads(_read_frame(stdin))  # from our own parent process
        except EOFError:
            return
        answer = pickle.dumps(check_select(sql, schema, **kwargs))
        stdout.write(_HEADER.pack(len(answer)) + answer)
        stdout.flush()


if __name__ == "__main__":
    _serve()
