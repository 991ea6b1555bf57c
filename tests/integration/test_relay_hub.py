"""Relays on a Redis hub (``--hub redis://...``): codes claimed relay-wide, session leases,
the drain on SIGTERM, a killed node's leases expiring, and a hub that cannot be reached.

Each node has its own TinyDB folder here (the hub alone); several nodes on one PostgreSQL
database: tests/integration/test_cluster.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from relay_server.sessions.relay import SESSION_LEASE_S
from tests.support.api import Api
from tests.support.redis_server import RedisServer, redis_missing, run_redis
from tests.support.relay import ALICE, BOB, RelayError, RelayProcess, add_agent, run_relay_cli


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    problem = redis_missing()
    if problem:
        pytest.skip(problem)
    with run_redis() as server:
        yield server


def start_node(tmp_path: Path, name: str, redis_server: RedisServer, *extra: str) -> RelayProcess:
    data, work = tmp_path / name / "data", tmp_path / name
    data.mkdir(parents=True)
    for agent in (ALICE, BOB):
        add_agent(data, agent)
    node = RelayProcess(data, work, extra_args=[*redis_server.hub_args(), *extra])
    node.start()
    return node


def wait_for(condition: Callable[[], object], timeout_s: float) -> float:
    """Wait until ``condition`` holds; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


def test_two_nodes_claim_their_codes_and_sessions_in_redis_and_hand_them_over(
    tmp_path, redis_server
):
    """Each node's new session holds its code and its lease in Redis; SIGTERM drops a node's
    leases at once (drain), SIGKILL leaves them to expire within the lease."""
    redis = redis_server.client()
    one, two = (start_node(tmp_path, name, redis_server) for name in ("one", "two"))
    try:
        ready = Api(one.url).request("GET", "/ready")[1]
        assert ready == {"status": "ready", "store": "tinydb", "hub": "redis"}
        supports = []
        for node, agent in ((one, ALICE), (two, BOB)):
            api = Api(node.url)
            supports.append(api.new_support(api.login(agent.username, agent.password)))
        first, second = supports
        assert first["code"] != second["code"]
        for support in supports:
            assert redis.get(f"rs:claim:code:{support['code']}") == support["session_id"]
        owners = [redis.get(f"rs:owner:{s['session_id']}") for s in supports]
        assert None not in owners and owners[0] != owners[1]

        assert one.stop() == 0  # drained: its lease is gone now, not in SESSION_LEASE_S
        assert redis.exists(f"rs:node:{owners[0]}") == 0
        two.kill()
        assert redis.exists(f"rs:node:{owners[1]}") == 1
        took = wait_for(lambda: redis.exists(f"rs:node:{owners[1]}") == 0, 10)
        assert took <= SESSION_LEASE_S + 0.5
    finally:
        one.stop()
        two.stop()


def test_wrong_codes_on_one_node_spend_the_relay_wide_budget_of_another(tmp_path, redis_server):
    """Wrong codes typed at node one put node two in admission mode: its correct code knocks."""
    redis_server.client().flushdb()
    one, two = (
        start_node(tmp_path, name, redis_server, "--guess-budget", "3") for name in ("one", "two")
    )
    try:
        api = Api(two.url)
        support = api.new_support(api.login(ALICE.username, ALICE.password))
        for wrong in ("000000001", "000000002", "000000003"):
            status, body, _ = Api(one.url).request("POST", "/api/join", json={"code": wrong})
            assert status == 404, body
        status, body, _ = api.request("POST", "/api/join", json={"code": support["code"]})
        assert (status, body["status"]) == (202, "knocking")
    finally:
        one.stop()
        two.stop()


def test_a_relay_whose_hub_cannot_be_reached_refuses_to_start(tmp_path, redis_server):
    """A wrong hub password stops the relay at start with a clear error (exit 1)."""
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password\n")
    with pytest.raises(RelayError, match="exited with 1(.|\n)*the Redis hub at redis://127"):
        run_relay_cli(
            "--port", "0", "--data", str(tmp_path / "data"),
            "--hub", redis_server.url(), "--hub-password-file", str(wrong),
        )  # fmt: skip


def test_a_relay_whose_redis_goes_away_is_not_ready_and_still_stops_cleanly(tmp_path):
    """With Redis gone, /ready answers 503 (the hub), a new session 503 hub_unavailable,
    /health stays 200, the upkeep goes on,
    and SIGTERM still stops the relay cleanly (its failed drain is logged)."""
    with run_redis() as own_redis:
        node = start_node(tmp_path, "alone", own_redis)
        try:
            api = Api(node.url)
            token = api.login(ALICE.username, ALICE.password)
            api.new_support(token)
            own_redis.stop()
            status, body, _ = api.request("GET", "/ready")
            assert (status, body) == (
                503,
                {"status": "not_ready", "store": "tinydb", "hub": "redis"},
            )
            assert api.request("GET", "/health")[0] == 200
            # What needs the hub answers a clear code, not a bare 500, and changes nothing.
            status, body, _ = api.request("POST", "/api/supports", token=token)
            assert (status, body["error"]["code"]) == (503, "hub_unavailable"), body
            upkeep = '"logger": "relay_server.sessions.takeover"'  # the heartbeat's failure
            wait_for(lambda: any(
                upkeep in line and "Redis hub failed" in line
                for line in node.log_text().splitlines()
            ), 10)  # fmt: skip
            assert node.stop() == 0
            assert "upkeep failed" not in node.log_text()  # the tick went on past the hub
        finally:
            node.stop()
