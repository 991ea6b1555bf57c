"""Two relay nodes on ONE PostgreSQL database and one Redis hub: a shared document changed on
one node (an option, an account disabled, a reservation) holds on the other within about a
second, through the hub's notice, not after a restart (hub/changes.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from suite.protocol import Channel, CloseCode, MessageType, Role
from tests.support.chat_client import hello_frame, open_socket
from tests.support.cluster import Nodes, running_nodes
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE, BOB, ROOT
from tests.support.reservations import book

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

APPLIED_GOAL_S = 2.0  # "within about a second", on a loaded machine
OPTIONS = "/api/admin/options"


@pytest.fixture(scope="module")
def nodes(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    work = tmp_path_factory.mktemp("nodes")
    with running_nodes(work, postgres, 2, (ALICE, BOB, ROOT)) as running:
        yield running


def until(check: Callable[[], Any], timeout_s: float = 10.0) -> float:
    """Seconds until ``check()`` is true (fails after ``timeout_s``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout_s, "not applied on the other node"
        time.sleep(0.02)
    return time.monotonic() - started


def option(api: Any, token: str, key: str) -> dict[str, Any]:
    status, body, _ = api.request("GET", OPTIONS, token=token)
    assert status == 200, body
    return next(o for g in body["groups"] for o in g["options"] if o["key"] == key)


def test_an_option_changed_on_one_node_holds_on_the_other(nodes: Nodes) -> None:
    one, two = nodes.api(0), nodes.api(1)
    root_one = one.login(ROOT.username, ROOT.password)
    root_two = two.login(ROOT.username, ROOT.password)
    key = "sessions.code_lifetime_s"
    assert option(two, root_two, key)["source"] == "default"  # node 2 has read the options
    status, body, _ = one.request("PUT", OPTIONS, json={"values": {key: 1234}}, token=root_one)
    assert status == 200, body
    applied_s = until(lambda: option(two, root_two, key).get("value") == 1234)
    print(f"option applied on node 2 {applied_s:.3f} s after node 1 answered")
    assert applied_s <= APPLIED_GOAL_S
    assert option(two, root_two, key)["source"] == "admin"
    # Node 2's next code follows it.
    alice = two.login(ALICE.username, ALICE.password)
    support = two.new_support(alice)
    assert 1200 <= support["code_expires_at"] - time.time() <= 1240, support
    # And back: a reset on node 2 reaches node 1 the same way.
    status, _, _ = two.request("POST", f"{OPTIONS}/reset", json={"keys": [key]}, token=root_two)
    assert status == 200
    until(lambda: option(one, root_one, key)["source"] == "default")


def test_an_account_disabled_on_one_node_is_refused_on_the_other(nodes: Nodes) -> None:
    """Bob signs in on node 2 (a token node 1 never read) and has a session socket there; the
    admin disables him on node 1: node 2 refuses his token and his password and closes his
    socket within about a second."""
    one, two = nodes.api(0), nodes.api(1)
    root = one.login(ROOT.username, ROOT.password)
    bob = two.login(BOB.username, BOB.password)
    assert two.request("GET", "/api/me", token=bob)[0] == 200  # cached on node 2 now
    support = two.new_support(bob)
    ws = open_socket(nodes.nodes[1].ws_url)
    try:
        ws.send(hello_frame(Role.AGENT, support["session_id"], bob, Channel.CHAT))
        assert json.loads(ws.recv(timeout=10))["type"] == MessageType.WELCOME
        status, body, _ = one.request("POST", "/api/admin/accounts/bob/disable", token=root)
        assert status == 200, body
        applied_s = until(lambda: two.request("GET", "/api/me", token=bob)[0] == 401)
        print(f"disabled account refused on node 2 {applied_s:.3f} s after node 1 answered")
        assert applied_s <= APPLIED_GOAL_S
        status, body, _ = two.request(
            "POST", "/api/login", json={"username": BOB.username, "password": BOB.password}
        )
        assert status == 403 and body["error"]["code"] == "account_disabled", body
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CloseCode.ACCOUNT_DISABLED
    finally:
        ws.close()
        one.request("POST", "/api/admin/accounts/bob/enable", token=root)
    until(lambda: two.request(
        "POST", "/api/login", json={"username": BOB.username, "password": BOB.password}
    )[0] == 200)  # fmt: skip


def test_a_reservation_changed_on_one_node_is_seen_on_the_other(nodes: Nodes) -> None:
    one, two = nodes.api(0), nodes.api(1)
    alice = one.login(ALICE.username, ALICE.password)
    reservation = book(one, alice)
    path = f"/api/reservations/{reservation['id']}"

    def on_two() -> dict[str, Any] | None:
        status, body, _ = two.request("GET", path, token=alice)
        return body["reservation"] if status == 200 else None

    applied_s = until(on_two)
    print(f"reservation seen on node 2 {applied_s:.3f} s after node 1 booked it")
    assert applied_s <= APPLIED_GOAL_S
    status, body, _ = one.request("PUT", path, json={"title": "Renamed"}, token=alice)
    assert status == 200, body
    until(lambda: (on_two() or {}).get("title") == "Renamed", APPLIED_GOAL_S)
    status, body, _ = one.request("POST", f"{path}/cancel", token=alice)
    assert status == 200, body
    until(lambda: (on_two() or {}).get("status") == "cancelled", APPLIED_GOAL_S)
