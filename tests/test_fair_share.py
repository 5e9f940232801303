"""Who a client is: the unit every share (the queues' places, bodies held, feedback) is counted by."""

import contextvars
import ipaddress
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasette_llm.fair_share import CLIENT, TakingTurns, client_key

pytestmark = pytest.mark.no_datasette


def address(value) -> str:
    return client_key(None, {"client": (value, 50000)})


@given(st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1))
def test_ipv6_addresses_are_one_client_exactly_when_they_share_a_64(first, second):
    """A subscriber is usually given a whole /64 and may send from any address in it: keyed by the address alone,
    one subscriber could hold as many shares as addresses it chose."""
    one, two = (ipaddress.IPv6Address(n) for n in (first, second))
    if one.ipv4_mapped or two.ipv4_mapped:
        return
    assert (address(str(one)) == address(str(two))) == (first >> 64 == second >> 64)


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_ipv4_addresses_are_their_own_clients_however_written(first, second):
    one, two = (ipaddress.IPv4Address(n) for n in (first, second))
    assert (address(str(one)) == address(str(two))) == (first == second)
    assert address(f"::ffff:{one}") == address(str(one))  # as a dual-stack server may see it


def test_zone_ids_and_odd_addresses_are_clients_too():
    assert address("fe80::1%eth0") == address("fe80::2%eth1") != address("fe80:0:0:1::1")
    assert address("unix-socket") == "address:unix-socket" != address("")
    assert client_key(None, {}) == address("")


def test_an_actor_is_never_an_address():
    for id_ in ("127.0.0.1", "address:127.0.0.1", "::1"):
        assert client_key({"id": id_}, {"client": ("127.0.0.1", 1)}) != address("127.0.0.1")
    assert client_key({"id": 1}, {}) != client_key({"id": "1"}, {})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.booleans()), max_size=16),
    st.integers(1, 2),
)
def test_clients_take_turns_round_by_round(calls, workers):
    """Calls queued while the executor is busy with client a's: they run round by round, each client with calls
    left having one a round, in the order the clients came (a, whose call ran already, last), a client's cancelled
    calls aside; a call cancelled while it waited never runs and takes no turn; every other call's outcome reaches
    its future."""
    contextvars.copy_context().run(take_turns, calls, workers)  # the clients set here stay here


def take_turns(calls, workers):
    turns = TakingTurns(workers)
    ran, go = [], threading.Event()

    def run(name, blocked=False):
        if blocked:
            return go.wait(5)
        ran.append(name)
        if name.endswith("!"):
            raise ValueError(name)
        return name

    CLIENT.set("a")
    blockers = [turns.submit(run, f"block{n}", blocked=True) for n in range(workers)]
    time.sleep(0.05)  # they run
    futures = []
    for number, (client, cancelled) in enumerate(calls):
        CLIENT.set(client)
        name = f"{client}{number}{'!' if number % 5 == 4 else ''}"
        futures.append((name, cancelled, turns.submit(run, name)))
    for _, cancelled, future in futures:
        if cancelled:
            assert future.cancel()
    go.set()
    for future in blockers:
        future.result(5)
    for name, cancelled, future in futures:
        if not cancelled:
            if name.endswith("!"):
                assert isinstance(future.exception(5), ValueError)
            else:
                assert future.result(5) == name
    turns.shutdown()
    # in the order of each client's first call not cancelled (a cancelled one held its client's place: session 55)
    rotation = [c for c in dict.fromkeys(client for client, cancelled in calls if not cancelled) if c != "a"] + ["a"]
    left = {c: [name for name, cancelled, _ in futures if not cancelled and name.startswith(str(c))] for c in rotation}
    expected = []
    while any(left.values()):
        expected += [left[c].pop(0) for c in rotation if left[c]]
    assert ran == expected if workers == 1 else sorted(ran) == sorted(expected)


def test_on_a_unix_socket_the_proxy_says_who_the_client_is():
    """`datasette serve --uds` behind nginx: uvicorn names no client and ignores X-Forwarded-For, so every visitor
    was one client and one anonymous visitor took every other's share (an outside tester, session 39). The proxy's
    own entry is the last; those before it are the client's to write."""

    def on_socket(*forwarded):
        return client_key(None, {"client": None, "headers": [(b"x-forwarded-for", f.encode()) for f in forwarded]})

    assert on_socket("203.0.113.1") != on_socket("198.51.100.7")
    assert on_socket("10.9.9.9, 203.0.113.1") == on_socket("203.0.113.1") == address("203.0.113.1")
    assert on_socket("1.1.1.1", "203.0.113.1") == on_socket("203.0.113.1")  # two headers: one list
    assert on_socket("2001:db8::1") == on_socket("2001:db8::2")  # one /64
    assert on_socket() == client_key(None, {"client": None}) == address("")
    # A proxy that writes the client's port made each connection a client of its own (a second tester, session 39).
    assert on_socket("203.0.113.7:51234") == on_socket("203.0.113.7:50001") == address("203.0.113.7")
    assert on_socket("[2001:db8::1]:443") == on_socket("2001:db8::2") == on_socket("[2001:db8::3]")
    # With an address, the header is uvicorn's to believe (from a trusted proxy) or nobody's.
    with_address = {"client": ("127.0.0.2", 5), "headers": [(b"x-forwarded-for", b"203.0.113.1")]}
    assert client_key(None, with_address) == address("127.0.0.2")
