"""The guard for request-sized SQL, in a worker process: off the event loop, with a queue and a time budget.

Parsing is pure Python: a long hostile statement costs half a second of CPU, and in a thread it would hold the
GIL that the event loop needs, so every other request (a health check too) would wait. In a child process
(`python -m datasette_llm.sql.guard_worker`, fed over a pipe) it cannot, and a statement that takes longer than
the budget is stopped by ending that process; the next statement starts a fresh one.

Statements queue for the one worker, clients taking turns; beyond GUARD_QUEUE waiting the answer is 503, and
beyond half of them from one client a 429 (fair_share.py). Where no process can be started, the check runs on a
thread instead (same queue and budget, without the isolation).

The budget is the worker's own CPU time on the statement (Linux /proc; wall time elsewhere), counted from the
moment the statement is sent to a worker that is ready: a busy machine is not the statement's fault. Counted in
wall time from the request, the worker's start (0.6 s of CPU to import sqlglot) and the wait in the queue once
made a one-line query "take longer than 5 s to check; make it shorter" (a 400) whenever other processes kept
both cores busy (session 16). A statement that cannot be checked within GUARD_WALL_SECONDS of wall time,
however little CPU it used, is answered 503 (busy), not refused.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time

from ..errors import Busy
from ..fair_share import FairQueue, TakingTurns

GUARD_QUEUE = 8
GUARD_SECONDS = 5.0  # of the worker's CPU time on one statement
GUARD_WALL_SECONDS = 30.0  # of wall time for a statement, its wait in the queue and a worker's start included
POLL_SECONDS = 0.02
_HEADER = struct.Struct("!I")
_READY = b""  # the worker's first frame: it has imported the guard


class GuardBusy(Busy):
    code = "guard_busy"


BUSY = "The server is too busy to check the query right now; try again in a few seconds."


class _Overrun(Exception):
    """The statement used more than the budget of the worker's CPU time."""


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process has used, or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class _Worker:
    """One child process answering check_select calls, one at a time."""

    def __init__(self, deadline: float):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "datasette_llm.sql.guard_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait(deadline, cpu_budget=None)
            if _read_frame(self.process.stdout) != _READY:
                raise EOFError("the guard worker did not start")
        except BaseException:
            self.kill()
            raise

    def call(self, payload: bytes, deadline: float) -> bytes:
        """The answer to `payload`; _Overrun past GUARD_SECONDS of the worker's CPU, GuardBusy past `deadline`."""
        self.process.stdin.write(_HEADER.pack(len(payload)) + payload)
        self.process.stdin.flush()
        self._wait(deadline, cpu_budget=GUARD_SECONDS)
        return _read_frame(self.process.stdout)

    def _wait(self, deadline: float, cpu_budget: float | None) -> None:
        """Until the worker has written something: raises _Overrun when it used `cpu_budget` seconds of CPU
        meanwhile (wall time where CPU time cannot be read), GuardBusy once time.monotonic() passes `deadline`."""
        started, cpu_start = time.monotonic(), _cpu_seconds(self.process.pid)
        while not select.select([self.process.stdout], [], [], POLL_SECONDS)[0]:
            now = time.monotonic()
            if cpu_budget is not None:
                cpu = _cpu_seconds(self.process.pid)
                used = now - started if cpu is None or cpu_start is None else cpu - cpu_start
                if used > cpu_budget:
                    raise _Overrun
            if now > deadline:
                raise GuardBusy(BUSY, retry_after=5)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def _read_frame(stream) -> bytes:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the guard worker ended")
    (size,) = _HEADER.unpack(header)
    return stream.read(size)


_thread = TakingTurns(1, thread_name_prefix="datasette-llm-guard")  # clients take turns (fair_share.py)
_lock = threading.Lock()
_worker: _Worker | None = None
_PLACES = FairQueue(GUARD_QUEUE)  # a client holds at most half of them (fair_share.py)


def _call_worker(payload: bytes, deadline: float):
    """The worker's answer; TimeoutError when the statement overran its budget, GuardBusy past `deadline` (in
    both cases the worker is ended, and the next statement starts a fresh one)."""
    with _lock:
        if time.monotonic() > deadline:
            raise GuardBusy(BUSY, retry_after=5)  # it waited in the queue until its time was up
        try:
            return pickle.loads(_ensure_worker(deadline).call(payload, deadline))  # our own child's answer
        except _Overrun:
            _end_worker()
            raise TimeoutError from None
        except GuardBusy:
            _end_worker()
            raise
        except (EOFError, OSError, pickle.UnpicklingError):
            _end_worker()  # it died: the next call starts a fresh one
            raise EOFError("the guard worker ended") from None


def _ensure_worker(deadline: float) -> _Worker:
    """The running worker, started now if there is none (the caller holds _lock)."""
    global _worker
    if _worker is None:
        _worker = _Worker(deadline)
    return _worker


def start_in_background() -> threading.Thread:
    """Start the worker ahead of the first statement (`datasette serve`), and make this process's guard ready too:
    started by the first one, it cost that request about a second, which told whoever sent it whether anyone had
    sent one since the server started (an outside tester's noninterference oracle, session 42: a first feedback
    1.2 s, after another actor's 0.05 s)."""

    def start() -> None:
        with _lock:
            try:
                _ensure_worker(time.monotonic() + GUARD_WALL_SECONDS)
            except (EOFError, OSError, GuardBusy):  # the first statement tries again, or checks on the thread
                pass
        from .guard import check_select

        _warm(check_select)  # here too: Ask checks a model's SQL in this process (the first question paid 0.8 s)

    thread = threading.Thread(target=start, name="datasette-llm-guard-start", daemon=True)
    thread.start()
    return thread


def _end_worker() -> None:
    global _worker
    worker, _worker = _worker, None
    if worker is not None:
        worker.kill()


async def check_in_worker(sql: str, schema, **kwargs):
    """guard.check_select(sql, schema, **kwargs) in the worker; TimeoutError past GUARD_SECONDS of its CPU time,
    GuardBusy (503) when the queue is full or the check could not be done within GUARD_WALL_SECONDS."""
    holder = _PLACES.enter(
        "queries waiting to be checked",
        lambda waiting: GuardBusy(
            "Too many queries are being checked right now; try again in a few seconds.", retry_after=2
        ),
    )
    try:
        payload = pickle.dumps((sql, schema, kwargs))
        loop = asyncio.get_running_loop()
        try:
            deadline = time.monotonic() + GUARD_WALL_SECONDS
            return await loop.run_in_executor(_thread, _call_worker, payload, deadline)
        except TimeoutError:  # over its budget: refused. (TimeoutError is an OSError: it once fell through to the
            raise  # thread below, which checked the statement again with no way to stop it; an outside tester, s26)
        except (EOFError, OSError):  # no child process here, or it died: check on the thread instead
            from .guard import check_select

            future = loop.run_in_executor(_thread, lambda: check_select(sql, schema, **kwargs))
            return await asyncio.wait_for(future, GUARD_SECONDS)
    finally:
        _PLACES.leave(holder)


def _serve() -> None:
    from .guard import check_select

    _warm(check_select)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(_HEADER.pack(len(_READY)) + _READY)
    stdout.flush()
    while True:
        try:
            sql, schema, kwargs = pickle.loads(_read_frame(stdin))  # from our own parent process
        except EOFError:
            return
        answer = pickle.dumps(check_select(sql, schema, **kwargs))
        stdout.write(_HEADER.pack(len(answer)) + answer)
        stdout.flush()


def _warm(check_select) -> None:
    """Check one statement (the worker before it says READY, the server at start). The first check imports
    sqlglot's SQLite dialect, parser and generator and lists the node types of the functions a query may call
    (about 474 statements parsed): 0.1-0.8 s that the first statement after a start paid, which told its sender (a
    first feedback POST 1.0-1.45 s, later ones 0.1 s) that nobody had sent one since (an outside tester, session
    43)."""
    from .results import SchemaInfo

    try:
        check_select("select a, count(*) from t where a > 1 group by a order by 2 desc", SchemaInfo({"t": ("a",)}))
    except Exception:  # only a warm-up: real statements report what is wrong with them
        pass


if __name__ == "__main__":
    _serve()
