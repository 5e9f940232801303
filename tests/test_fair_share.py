"""Who a client is: the unit every share (the queues' places, bodies held, feedback) is counted by."""

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from datasette_llm.fair_share import client_key


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
