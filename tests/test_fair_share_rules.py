"""The shares' rules one at a time, each against its documented rule (fair_share.py): what a client is told when
both its share and the queue are full, the count of given-up places, the feedback share's window, Retry-After and
the clients it remembers, and who a client is when the actor has no usable id.

Found by an outside tester's mutation
run (session 55): each test fails on one or more mutants that no other test noticed."""

import contextvars

import pytest

from datasette_llm.errors import Busy
from datasette_llm.fair_share import CLIENT, FairQueue, RecentShare, TooManyOfYours, client_key

pytestmark = pytest.mark.no_datasette


class Full(Busy):
    status = 503


def in_context(fn):
    """Run fn in a context of its own: the CLIENT set there stays there."""
    return contextvars.copy_context().run(fn)


def enter(queue, client):
    def go():
        CLIENT.set(client)
        return queue.enter("places", lambda waiting: Full("full", retry_after=5))

    return in_context(go)


def take(share, client, now):
    def go():
        CLIENT.set(client)
        return share.take("pieces", now=now)

    return in_context(go)


def test_a_client_past_its_share_is_told_429_even_when_the_queue_is_full():
    """Past its share a client is told so, with a 429 ("try again when they have finished"), whatever the others
    hold: a 503 would say the server is busy, and a client whose share holds work it gave up on would not wait for
    that work (gate.submit_when_admitted waits on a 429 that says so, not on a 503)."""
    queue = FairQueue(4)
    a1, a2 = enter(queue, "address:a"), enter(queue, "address:a")
    enter(queue, "address:b")
    enter(queue, "address:b")
    assert queue.waiting == 4
    with pytest.raises(TooManyOfYours) as refused:
        enter(queue, "address:a")
    assert refused.value.status == 429 and refused.value.own_given_up is False
    queue.give_up(a1)
    with pytest.raises(TooManyOfYours) as refused:
        enter(queue, "address:a")
    assert refused.value.own_given_up is True  # the caller may wait for its own given-up work
    with pytest.raises(Full):
        enter(queue, "address:c")  # a client with nothing held: the queue is full
    queue.leave(a1, given_up=True)
    queue.leave(a2)


def test_a_place_left_as_not_given_up_leaves_the_given_up_count_alone():
    """own_given_up says the share holds work the client gave up on: the place given up still holds it after
    the client's other place has ended."""
    queue = FairQueue(4)
    given_up, live = enter(queue, "address:a"), enter(queue, "address:a")
    queue.give_up(given_up)
    queue.leave(live)  # the live work ended first
    assert queue.given_up == {"address:a": 1} and queue.held == {"address:a": 1}
    enter(queue, "address:a")
    with pytest.raises(TooManyOfYours) as refused:
        enter(queue, "address:a")
    assert refused.value.own_given_up is True
    queue.leave(given_up, given_up=True)
    assert queue.given_up == {}


def test_a_write_exactly_the_window_old_no_longer_counts():
    """At most `count` writes in any `seconds`: a write `seconds` ago is outside the window."""
    share = RecentShare(2, 600)
    take(share, "address:a", 0.0)
    take(share, "address:a", 1.0)
    with pytest.raises(TooManyOfYours):
        take(share, "address:a", 599.0)
    take(share, "address:a", 600.0)  # the write at 0.0 has left the window


def test_retry_after_is_never_zero_and_is_when_a_write_leaves_the_window():
    share = RecentShare(1, 600)
    take(share, "address:a", 0.0)
    for now, expected in ((0.0, 601), (599.5, 1), (599.999, 1), (300.25, 300)):
        with pytest.raises(TooManyOfYours) as refused:
            take(share, "address:a", now)
        assert refused.value.retry_after == expected and refused.value.retry_after >= 1
        assert refused.value.status == 429


def test_the_clients_remembered_are_the_most_recent_and_the_one_writing_is_always_counted():
    """At most `clients` clients are remembered, the longest idle forgotten first: the client writing now is
    never the one forgotten, and a client that keeps writing is not forgotten for having come first."""
    share = RecentShare(2, 600, clients=2)
    take(share, "address:a", 0.0)
    take(share, "address:b", 1.0)
    take(share, "address:a", 2.0)  # a: 2 writes, the most recent client
    take(share, "address:c", 3.0)  # b, the longest idle, is forgotten; a is not
    with pytest.raises(TooManyOfYours):
        take(share, "address:a", 4.0)
    assert list(share.times) == ["address:c", "address:a"]
    share = RecentShare(1, 600, clients=2)
    for n, client in enumerate(["address:x", "address:y", "address:z"]):
        take(share, client, float(n))
    with pytest.raises(TooManyOfYours):
        take(share, "address:z", 5.0)  # the one writing when the dict was full was remembered
    assert len(share.times) == 2


def test_clients_remembered_up_to_the_number_given():
    share = RecentShare(1, 600, clients=3)
    for n, client in enumerate(["address:x", "address:y", "address:z"]):
        take(share, client, float(n))
    assert len(share.times) == 3  # all three remembered: at most `clients`, not fewer
    with pytest.raises(TooManyOfYours):
        take(share, "address:x", 5.0)


def test_a_signed_in_actor_is_its_id_whatever_else_it_carries_even_a_falsy_id():
    """A signed-in actor is a client by id: the same id with other keys (another token, a timestamp) is the
    same client; an id of 0 or "" is an id too."""
    for id_ in (0, "", "alice", 7):
        one = client_key({"id": id_, "token": "t1"}, {"client": ("203.0.113.1", 1)})
        two = client_key({"id": id_, "token": "t2", "_r": {"a": ["*"]}}, {"client": ("198.51.100.2", 2)})
        assert one == two and one.startswith("actor:")


def test_an_actor_without_an_id_is_not_its_address():
    """Signed in without an id (a plugin's actor): a client by the actor, never one with every anonymous visitor
    of its address."""
    actor = {"name": "plugin-actor"}
    scope = {"client": ("203.0.113.1", 1)}
    assert client_key(actor, scope) != client_key(None, scope)
    assert client_key(actor, scope) == client_key(actor, {"client": ("198.51.100.9", 2)})


def test_a_ticket_left_before_it_is_given_up_counts_nothing():
    """abandon() may come between a job's end (its place given back) and its outcome: the give-up then counts
    nothing, else the client's share would say for ever that it holds work it gave up on (each later 429 a wait
    until the model's timeout)."""
    from datasette_llm.models.gate import Ticket

    queue = FairQueue(4)
    ticket = Ticket(queue, enter(queue, "address:a"))
    ticket.leave()
    ticket.give_up()
    assert queue.given_up == {} and queue.held == {} and queue.waiting == 0
    ticket = Ticket(queue, enter(queue, "address:a"))
    ticket.give_up()
    ticket.give_up()
    assert queue.given_up == {"address:a": 1}
    ticket.leave()
    ticket.leave()
    assert queue.given_up == {} and queue.held == {} and queue.waiting == 0
