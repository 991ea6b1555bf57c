"""Two relay nodes on ONE PostgreSQL database and one Redis hub: made-up bearer tokens (each
one a database lookup, since another node may have signed it in) are budgeted per client
address across the nodes, and relay-wide across addresses (accounts/token_budget.py); tokens a
node holds are not."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from relay_server.accounts.token_budget import (
    RELAY_UNKNOWN_TOKENS_PER_WINDOW,
    UNKNOWN_TOKENS_PER_WINDOW,
    WINDOW_S,
)
from suite.protocol import Channel, CloseCode, Role
from tests.support.api import Api
from tests.support.chat_client import hello_frame, open_socket
from tests.support.cluster import Nodes, running_nodes
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]


@pytest.fixture(scope="module")
def nodes(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    # --trust-proxy: the relay-wide test names many client addresses in X-Forwarded-For.
    work = tmp_path_factory.mktemp("tokens")
    with running_nodes(work, postgres, 2, (ALICE,), ("--trust-proxy",)) as running:
        yield running


def flood(api: Api, start: int, limit: int) -> tuple[int, float]:
    """Made-up tokens until one is refused ``429 throttled`` (every one before: 401);
    returns (how many were sent, the refusal's Retry-After)."""
    for n in range(1, limit + 1):
        status, body, headers = api.request("GET", "/api/me", token=f"made-up-{start + n}")
        if status == 429:
            assert body["error"]["code"] == "throttled", body
            return n, float(headers["Retry-After"] or body["error"]["retry_after_s"])
        assert status == 401, body
    raise AssertionError(f"{limit} made-up tokens and none refused")


def test_a_flood_of_made_up_tokens_is_cut_off_across_the_nodes(nodes: Nodes) -> None:
    one, two = nodes.api(0), nodes.api(1)
    alice = two.login(ALICE.username, ALICE.password)  # held by node 2
    # Node 1: within one window (the first may be cut by a window's end) the budget runs out.
    started = time.monotonic()
    sent, retry_after_s = flood(one, 0, 2 * UNKNOWN_TOKENS_PER_WINDOW + 1)
    if retry_after_s < 2.0:  # the window ends at once: a fresh one, so node 2's check is fair
        time.sleep(retry_after_s + 0.1)
        sent, retry_after_s = flood(one, 1000, UNKNOWN_TOKENS_PER_WINDOW + 1)
    flood_s = time.monotonic() - started
    assert sent <= UNKNOWN_TOKENS_PER_WINDOW + 1
    # Node 2 counts in the same window: its first lookup finds the address over its budget.
    more, _ = flood(two, 2000, 2)
    assert more <= 2
    # A chat socket's hello with a made-up agent token: closed "going away", throttled.
    ws = open_socket(nodes.nodes[1].ws_url)
    try:
        ws.send(hello_frame(Role.AGENT, "no-such-session", "made-up-ws", Channel.CHAT))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CloseCode.GOING_AWAY
        assert closed.value.rcvd.reason.startswith("throttled: ")
    finally:
        ws.close()
    # Refused without a lookup, hundreds of them cheaply; a token the node holds still works.
    started = time.monotonic()
    for n in range(200):
        status, _, _ = two.request("GET", "/api/me", token=f"refused-{n}")
        assert status == 429
    refused_s = time.monotonic() - started
    print(f"{sent - 1} made-up tokens looked up in {flood_s:.2f} s, then 200 refused in "
          f"{refused_s:.2f} s without a lookup (loaded machine)")  # fmt: skip
    assert two.request("GET", "/api/me", token=alice)[0] == 200
    # The window ends: a lookup again (a token signed in meanwhile is found).
    time.sleep(retry_after_s + 0.2)
    assert two.request("GET", "/api/me", token="made-up-after")[0] == 401


def test_made_up_tokens_from_many_addresses_are_cut_off_relay_wide(nodes: Nodes) -> None:
    """Made-up tokens from many addresses, each under its own budget, spread over both
    nodes: past the relay-wide budget every node refuses unknown tokens from any address
    (503 too_many_unknown_tokens, Retry-After) without a lookup until the window ends; a
    token a node holds still works."""
    apis = (nodes.api(0), nodes.api(1))
    alice = apis[1].login(ALICE.username, ALICE.password)  # held by node 2
    per_address = UNKNOWN_TOKENS_PER_WINDOW - 1  # never an address's own 429
    # Start at a window's start, so that the whole flood fits in one window.
    time.sleep(WINDOW_S - time.time() % WINDOW_S + 0.05)
    started = time.monotonic()
    looked_up, refusal = 0, None
    for n in range(2 * RELAY_UNKNOWN_TOKENS_PER_WINDOW):
        address = f"10.9.{n // per_address // 250}.{n // per_address % 250 + 1}"
        status, body, headers = apis[n % 2].request(
            "GET", "/api/me", token=f"botnet-{n}", headers={"X-Forwarded-For": address}
        )
        if status == 503:
            refusal = (body, headers)
            break
        assert status == 401, body  # looked up, not found; never an address's 429
        looked_up += 1
    flood_s = time.monotonic() - started
    assert refusal is not None, "no relay-wide refusal"
    body, headers = refusal
    assert body["error"]["code"] == "too_many_unknown_tokens", body
    assert 0 < float(headers["Retry-After"]) <= WINDOW_S + 1
    # At most the budget was looked up (and the other node's one lookup that learns it).
    assert RELAY_UNKNOWN_TOKENS_PER_WINDOW <= looked_up <= RELAY_UNKNOWN_TOKENS_PER_WINDOW + 1
    print(f"{looked_up} made-up tokens from {looked_up // per_address + 1} addresses looked "
          f"up in {flood_s:.2f} s, then refused relay-wide (loaded machine)")  # fmt: skip
    assert flood_s < WINDOW_S - 1, "the flood did not fit in one window: too slow a machine"
    # Both nodes now refuse a new address at once (the other learnt it at its next miss).
    for api in apis:
        found = [
            api.request("GET", "/api/me", token=f"fresh-{i}",
                        headers={"X-Forwarded-For": f"10.8.0.{i}"})[0]
            for i in (1, 2)
        ]  # fmt: skip
        assert found[-1] == 503, found
    # A token node 2 holds is never refused.
    assert apis[1].request("GET", "/api/me", token=alice)[0] == 200
    # The window ends: a lookup again.
    time.sleep(float(headers["Retry-After"]) + 0.2)
    after = {"X-Forwarded-For": "10.8.1.1"}
    assert apis[0].request("GET", "/api/me", token="after", headers=after)[0] == 401
