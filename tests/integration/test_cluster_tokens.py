"""Two relay nodes on ONE PostgreSQL database and one Redis hub: made-up bearer tokens (each
one a database lookup, since another node may have signed it in) are budgeted per client
address across the nodes (accounts/token_budget.py); tokens a node holds are not."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from relay_server.accounts.token_budget import UNKNOWN_TOKENS_PER_WINDOW
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
    with running_nodes(tmp_path_factory.mktemp("tokens"), postgres, 2, (ALICE,)) as running:
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
