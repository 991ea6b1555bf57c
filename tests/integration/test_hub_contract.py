"""The hub's contract, the same cases on the local hub (three nodes sharing one state in this
process) and on a real Redis (three RedisHub connections, as three relay nodes would hold)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from relay_server.hub.interface import Delivery, Hub, HubError
from relay_server.hub.local import LocalHub, LocalHubState
from tests.support.redis_server import RedisServer, redis_missing, run_redis

LEASE_S = 0.4


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    problem = redis_missing()
    if problem:
        pytest.skip(problem)
    with run_redis() as server:
        yield server


@pytest.fixture(params=["local", "redis"])
def nodes(request) -> Iterator[list[Hub]]:
    """Three hubs that share their state, as three relay nodes do."""
    if request.param == "local":
        state = LocalHubState()
        hubs: list[Hub] = [LocalHub(state, f"node-{i}") for i in (1, 2, 3)]
    else:
        from relay_server.hub.redis_hub import RedisHub

        server: RedisServer = request.getfixturevalue("redis_server")
        server.client().flushdb()
        hubs = [RedisHub(server.url(), f"node-{i}", server.password) for i in (1, 2, 3)]
    yield hubs
    for hub in hubs:
        hub.close()


def wait_for(condition: Callable[[], object], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_claims_stay_unique_under_a_concurrent_burst_across_nodes(nodes):
    """Three nodes claiming the same 20 values at once: each value ends with one holder."""
    won: list[tuple[str, str]] = []
    lock = threading.Lock()

    def burst(hub: Hub) -> None:
        for value in range(20):
            holder = f"{hub.node_id}-session"
            if hub.claim("code", f"{value:09d}", holder, 30):
                with lock:
                    won.append((f"{value:09d}", holder))

    threads = [threading.Thread(target=burst, args=(hub,)) for hub in nodes for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_value: dict[str, set[str]] = {}
    for value, holder in won:
        by_value.setdefault(value, set()).add(holder)
    assert sorted(by_value) == [f"{v:09d}" for v in range(20)]
    assert all(len(holders) == 1 for holders in by_value.values())
    assert {nodes[2].holder("code", v) for v in by_value} <= {f"{h.node_id}-session" for h in nodes}


def test_a_claim_is_released_only_by_its_holder_and_expires(nodes):
    """Another holder cannot release a claim; its holder can; an unrenewed claim expires."""
    a, b, _ = nodes
    assert a.claim("icon", "7", "s1", 30)
    b.release("icon", "7", "s2")
    assert not b.claim("icon", "7", "s2", 30)
    a.release("icon", "7", "s1")
    assert b.claim("icon", "7", "s2", LEASE_S)
    wait_for(lambda: a.holder("icon", "7") is None)
    assert a.claim("icon", "7", "s1", 30)


def test_a_dead_owners_lease_expires_and_another_node_takes_the_session(nodes):
    """The owner stops renewing (killed): its one lease runs out, all its sessions are free
    and another node owns them."""
    owner, other, _ = nodes
    assert owner.take_session("sess-1", LEASE_S) == owner.node_id
    assert owner.take_session("sess-4", LEASE_S) == owner.node_id
    assert other.take_session("sess-1", LEASE_S) == owner.node_id
    owner.heartbeat(LEASE_S)
    wait_for(lambda: other.owner("sess-1") is None and other.owner("sess-4") is None)
    assert other.take_session("sess-1", 30) == other.node_id
    assert owner.owner("sess-1") == other.node_id  # the old owner sees who has it now


def test_sessions_taken_together_each_go_to_whoever_may_own_them(nodes):
    """take_sessions: each session as take_session would (free ones and this node's own
    ones to the caller, a live node's to that node), in one call; a name twice is one."""
    owner, other, _ = nodes
    assert owner.take_session("many-1", 30) == owner.node_id
    taken = other.take_sessions(["many-1", "many-2", "many-3", "many-2"], 30)
    assert taken == {"many-1": owner.node_id, "many-2": other.node_id,
                     "many-3": other.node_id}  # fmt: skip
    assert other.take_sessions(["many-2"], 30) == {"many-2": other.node_id}  # its own
    assert owner.owner("many-3") == other.node_id
    assert other.take_sessions([], 30) == {}


def test_the_owner_read_says_how_long_the_owners_lease_has_left(nodes):
    """owner_lease: the live owner with its lease's remaining ms (what wrong_node tells the
    client) and how long it has owned the session; a renewal gives the full lease again; a
    lapsed or absent owner is (None, 0, 0)."""
    owner, other, _ = nodes
    assert other.owner_lease("sess-9") == (None, 0, 0)
    assert owner.take_session("sess-9", 2.0) == owner.node_id
    owner.heartbeat(2.0)
    name, left, owned = other.owner_lease("sess-9")
    assert 0 <= owned < 1000, owned  # taken just now
    assert name == owner.node_id and 1500 < left <= 2000, left
    time.sleep(0.3)
    _, later, owned_later = other.owner_lease("sess-9")
    assert owned_later >= owned + 250, (owned, owned_later)
    assert later <= left - 250, (left, later)
    owner.heartbeat(2.0)  # a live owner renews: the hint grows again
    assert other.owner_lease("sess-9")[1] > later + 200
    owner.heartbeat(LEASE_S)
    wait_for(lambda: other.owner_lease("sess-9") == (None, 0, 0))
    assert other.owner("sess-9") is None


def test_a_draining_node_hands_its_session_over_at_once(nodes):
    """hand_over frees one session now, leave all of a node's: the next node takes them
    without waiting for the lease to expire."""
    owner, other, third = nodes
    assert owner.take_session("sess-2", 30) == owner.node_id
    assert owner.take_session("sess-5", 30) == owner.node_id
    other.hand_over("sess-2")  # not its session: nothing happens
    assert other.take_session("sess-2", 30) == owner.node_id
    owner.hand_over("sess-2")
    assert other.take_session("sess-2", 30) == other.node_id
    owner.leave()
    assert third.take_session("sess-5", 30) == third.node_id


def test_a_throttle_window_counts_the_hits_of_every_node(nodes):
    """Hits on three nodes add up in one window; the next window starts from zero."""
    now = 1_000_000.0
    for hub in nodes:
        hub.hit("guess:relay", 60, now)
        hub.hit("guess:relay", 60, now + 1)
    assert nodes[0].count("guess:relay", 60, now + 2) == 6
    assert nodes[1].hit("guess:relay", 60, now + 60) == 1


def test_presence_is_seen_from_other_nodes_until_it_expires(nodes):
    """A name marked present on one node is seen on the others with that node, then expires."""
    nodes[0].set_presence("agent:alice", LEASE_S)
    assert nodes[2].present("agent:alice") == nodes[0].node_id
    wait_for(lambda: nodes[1].present("agent:alice") is None)


def test_a_published_frame_reaches_the_nodes_that_follow_its_session_once(nodes):
    """A frame reaches each other following node once, never its publisher nor a non-follower,
    in one round trip; Delivery drops a repeat of the same message id."""
    a, b, c = nodes
    got: dict[str, list[tuple[str, str, str]]] = {hub.node_id: [] for hub in nodes}
    for hub in nodes:
        hub.on_delivery(lambda s, m, f, name=hub.node_id: got[name].append((s, m, f)))
    a.follow("sess-3")
    b.follow("sess-3")
    before = a.round_trips()
    a.publish("sess-3", "m1", '{"type":"chat_message"}')
    assert a.round_trips() - before <= 1
    wait_for(lambda: got[b.node_id])
    a.publish("sess-3", "m2", "second")  # ordering: a later frame arrives after
    wait_for(lambda: len(got[b.node_id]) == 2)
    assert got[b.node_id] == [
        ("sess-3", "m1", '{"type":"chat_message"}'),
        ("sess-3", "m2", "second"),
    ]
    assert got[a.node_id] == [] and got[c.node_id] == []
    delivery = Delivery()
    assert delivery.first_time("sess-3", "m1") and not delivery.first_time("sess-3", "m1")


def test_live_nodes_are_those_whose_lease_lives(nodes):
    """A node's heartbeat makes it alive for every node; its lease expiring or its leave
    (a drain) takes it out."""
    for hub in nodes:
        hub.heartbeat(30)
    names = {hub.node_id for hub in nodes}
    assert all(hub.live_nodes() == names for hub in nodes)
    nodes[0].heartbeat(LEASE_S)
    nodes[1].leave()
    assert nodes[2].live_nodes() == names - {nodes[1].node_id}
    wait_for(lambda: nodes[2].live_nodes() == {nodes[2].node_id})


def test_a_notice_reaches_every_other_node_once(nodes):
    """``announce`` on one node: each other node's listeners hear it once, the sender's do
    not (it made the change)."""
    heard: dict[str, list[tuple[str, str]]] = {hub.node_id: [] for hub in nodes}
    for hub in nodes:
        hub.on_announce(lambda topic, text, name=hub.node_id: heard[name].append((topic, text)))
    time.sleep(0.2)  # the subscriptions are taken
    nodes[0].announce("changed", '{"options":[3]}')
    expected = [("changed", '{"options":[3]}')]
    wait_for(lambda: heard[nodes[1].node_id] == heard[nodes[2].node_id] == expected)
    time.sleep(0.2)
    assert heard[nodes[0].node_id] == []
    assert heard[nodes[1].node_id] == expected


def test_a_wrong_redis_password_is_a_clear_hub_error(redis_server):
    """A Redis that refuses the password makes opening the hub fail with what is wrong."""
    from relay_server.hub.redis_hub import RedisHub

    with pytest.raises(HubError, match="cannot be used"):
        RedisHub(redis_server.url(), "node-x", "wrong-password")
