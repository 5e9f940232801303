"""What one client may take of what every client shares: places in the server's queues (the model's, the
guard's) and their turns (TakingTurns below), and writes into a shared store (the feedback store: RecentShare).

Each queue admits a bounded number of requests; beyond it the answer is a 503 with Retry-After. Bounded alone, the
queue went to whoever asked most: one anonymous client that kept 4 questions in flight won every place the model's
queue of 4 freed, and a well-behaved client's questions succeeded 1 time in 46; 8 statements at once from one
client left another's one-line query 14-23% of the guard's places (an outside tester, session 38). A client may
now hold at most half a queue's places (at least one); past that it is told so with a 429, while the others still
find room.

A client is a signed-in actor (by id), else the address the request came from (uvicorn takes a local proxy's
X-Forwarded-For; on a Unix socket, the last X-Forwarded-For entry), an IPv6 address's /64 as a whole. A browser
cookie would be no client: anyone may mint as many as they like. The web layer says who the client is
(web/responses.as_route); work started without one (the command line, `ask()` in process) holds places as nobody's,
bounded by the queue alone.
"""

from __future__ import annotations

import contextvars
import ipaddress
import itertools
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from .errors import Busy

CLIENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("datasette_llm_client", default=None)


class TooManyOfYours(Busy):
    """This client already holds its share of a queue's places: 429, with Retry-After. `own_given_up`: some of them
    hold work the client gave up on, which ends soon (a caller may wait for it instead)."""

    status = 429
    code = "too_many_requests"
    own_given_up = False


def client_key(actor, scope: dict) -> str:
    """Who holds places: the actor's id when signed in, else the address the request came from."""
    if isinstance(actor, dict) and actor.get("id") is not None:
        return "actor:" + json.dumps(actor["id"], sort_keys=True, default=str)
    if actor is not None:
        return "actor:" + json.dumps(actor, sort_keys=True, default=str)
    client = scope.get("client")
    if client and client[0]:
        return f"address:{_network(str(client[0]))}"
    return f"address:{_network(_forwarded_on_a_socket(scope))}"


def _forwarded_on_a_socket(scope: dict) -> str:
    """Where a request came from when the server has no address for it: served on a Unix socket (`datasette serve
    --uds`, behind nginx or Apache), uvicorn names no client and ignores X-Forwarded-For, so every visitor was one
    client and one anonymous visitor took every other's share (an outside tester, session 39). Only a local process
    can connect there, the proxy: the last X-Forwarded-For entry is the one it added, the address it was connected
    from (those before it are the client's to write). "" when there is none."""
    values = [value for name, value in scope.get("headers") or () if name.lower() == b"x-forwarded-for"]
    entries = [entry.strip() for entry in b",".join(values).decode("latin-1").split(",") if entry.strip()]
    return _without_port(entries[-1]) if entries else ""


def _without_port(entry: str) -> str:
    """An address as a proxy may write it with the client's port ("203.0.113.7:51234", "[2001:db8::1]:443"): each
    connection of one person would be a client of its own (a second tester, session 39)."""
    if entry.startswith("["):
        return entry[1:].partition("]")[0]
    host, colon, port = entry.rpartition(":")
    return host if colon and host.count(":") == 0 and port.isdigit() else entry


def _network(address: str) -> str:
    """An IPv6 address as its /64: one subscriber is usually given a whole /64 and may send from any address in it.
    An IPv4 address written as IPv6 (::ffff:a.b.c.d) is the IPv4 address; anything else is itself."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class FairQueue:
    """`limit` places, at most `share` of them a client's. enter() takes one (or raises); leave() gives it back."""

    def __init__(self, limit: int, share: int | None = None):
        self.limit = max(1, limit)
        self.share = max(1, share if share is not None else self.limit // 2)
        self.waiting = 0  # places held, by everyone
        self.held: dict[str | None, int] = {}
        self.given_up: dict[str | None, int] = {}  # of those, places whose work the client gave up on
        self.watchers: dict[str | None, set[Callable[[], None]]] = {}  # told when a place of the client is freed
        self.lock = threading.Lock()

    def enter(self, what: str, busy: Callable[[int], Exception]) -> str | None:
        """Take a place for the current client: TooManyOfYours past its share, busy(places held) when the queue is
        full. Returns the holder to give to leave()."""
        client = CLIENT.get()
        with self.lock:
            mine = self.held.get(client, 0)
            if client is not None and mine >= self.share:
                refused = TooManyOfYours(
                    f"You already have {mine} {what}; try again when {'it has' if mine == 1 else 'they have'} "
                    "finished.",
                    retry_after=2,
                )
                refused.own_given_up = self.given_up.get(client, 0) > 0
                raise refused
            if self.waiting >= self.limit:
                raise busy(self.waiting)
            self.held[client] = mine + 1
            self.waiting += 1
        return client

    def give_up(self, client: str | None) -> None:
        """The work on one of this client's places was given up (it keeps the place until it ends)."""
        with self.lock:
            self.given_up[client] = self.given_up.get(client, 0) + 1

    def leave(self, client: str | None, given_up: bool = False) -> None:
        with self.lock:
            self.waiting -= 1
            count_down(self.held, client)
            if given_up:
                count_down(self.given_up, client)
            told = list(self.watchers.get(client, ()))
        for tell in told:
            tell()

    def watch(self, tell: Callable[[], None]) -> Callable[[], None]:
        """Call `tell()` (from whichever thread frees it) each time a place of the current client is freed, until
        the returned function is called: a caller waiting for its own given-up work sleeps until then instead of
        looking every 50 ms (800 parked questions cost 4.3 s of CPU in 17 s; an outside tester, session 55)."""
        client = CLIENT.get()
        with self.lock:
            self.watchers.setdefault(client, set()).add(tell)

        def unwatch() -> None:
            with self.lock:
                told = self.watchers.get(client)
                if told is not None:
                    told.discard(tell)
                    if not told:
                        del self.watchers[client]

        return unwatch


def count_down(counts: dict, client, by: int = 1) -> None:
    """`counts[client]` less `by`; a count that reaches 0 leaves the dict, which holds only clients holding some."""
    left = counts.get(client, 0) - by
    if left > 0:
        counts[client] = left
    else:
        counts.pop(client, None)


class RecentShare:
    """At most `count` writes in any `seconds` from one client: what one client may write into a store that every
    client shares (the feedback store's cap of 5 MB a database: one anonymous client filled it in 41 s, and every
    client's feedback was a 507 until a teacher removed entries; an outside tester, session 38)."""

    def __init__(self, count: int, seconds: float, clients: int = 4096):
        self.count, self.seconds, self.clients = count, seconds, clients
        self.times: OrderedDict[str | None, deque] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, what: str, now: float | None = None) -> None:
        """Count one write of the current client's, or TooManyOfYours past its share. Nobody's (no client: the
        command line) is not counted."""
        client = CLIENT.get()
        if client is None:
            return
        now = time.monotonic() if now is None else now
        with self.lock:
            times = self.times.pop(client, None) or deque()
            while times and now - times[0] >= self.seconds:
                times.popleft()
            self.times[client] = times  # the most recent last; the longest idle go first
            while len(self.times) > self.clients:
                self.times.popitem(last=False)
            if len(times) >= self.count:
                wait = int(self.seconds - (now - times[0])) + 1
                raise TooManyOfYours(
                    f"You have sent {len(times)} {what} in the last {int(self.seconds) // 60} minutes, as many as one "
                    f"client may; try again in {wait} seconds.",
                    retry_after=wait,
                )
            times.append(now)


class TakingTurns(Executor):
    """An executor whose calls wait in one queue a client, not one for everyone: the next call to run is that of the
    client whose last call started longest ago (one that has not run any yet first). In one queue in order of
    arrival, a client's question waited for every question another client had queued (a canary's one-line query
    took 0.53 s to check behind an attacker's four, 0.02 s alone; an outside tester, session 38); now it waits at
    most for what is running. Calls run on ThreadPoolExecutor threads (`workers`), which see to their ends."""

    def __init__(self, workers: int, thread_name_prefix: str = "", remembered: int = 1024):
        self.threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name_prefix)
        self.waiting: OrderedDict[str | None, deque] = OrderedDict()  # the clients with calls waiting, by arrival
        self.last_start: OrderedDict[str | None, int] = OrderedDict()  # each client's last turn (a count)
        self.remembered = remembered
        self.turns = itertools.count(1)
        self.arrivals = itertools.count()
        self.lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        call = (future, fn, args, kwargs, next(self.arrivals))
        with self.lock:
            self.waiting.setdefault(CLIENT.get(), deque()).append(call)
        try:
            self.threads.submit(self._run_next)  # one run a call: every call is taken once, in turn
        except BaseException:  # shut down: the call never runs
            with self.lock:
                for calls in self.waiting.values():
                    if call in calls:
                        calls.remove(call)
            future.cancel()
            raise
        return future

    def _take(self):
        """The next call to run, marked running; None when it was cancelled while it waited (no turn taken)."""
        with self.lock:
            # Calls cancelled while they waited go first: one left at the head of its client's calls kept that
            # client's place in arrival order for its next call (an outside tester, session 55).
            for waiting_client in list(self.waiting):
                queued = self.waiting[waiting_client]
                while queued and queued[0][0].cancelled():
                    queued.popleft()
                if not queued:
                    del self.waiting[waiting_client]
            if not self.waiting:
                return None
            # ties: the client whose first call waiting arrived first
            client = min(self.waiting, key=lambda c: (self.last_start.get(c, 0), self.waiting[c][0][4]))
            calls = self.waiting[client]
            call = calls.popleft()
            if not calls:
                del self.waiting[client]
            if not call[0].set_running_or_notify_cancel():
                return None
            self.last_start.pop(client, None)
            self.last_start[client] = next(self.turns)
            while len(self.last_start) > self.remembered:
                self.last_start.popitem(last=False)
            return call

    def _run_next(self) -> None:
        call = self._take()
        if call is None:
            return
        future, fn, args, kwargs, _ = call
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:
            future.set_exception(error)
        else:
            future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            with self.lock:
                calls = [call for queue in self.waiting.values() for call in queue]
            for future, *_ in calls:
                future.cancel()
        self.threads.shutdown(wait=wait, cancel_futures=False)
