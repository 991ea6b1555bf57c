"""The run's ``--relay-store`` and ``--relay-hub`` reach every relay the fixtures start: the
PostgreSQL + Redis run of scripts/test (docs/scaling.md) tests what it says it tests."""

from __future__ import annotations

import pytest

from tests.support.api import Api
from tests.support.relay import RelayProcess

EXPECTED_HUB = {"local": "local", "redis": "redis"}


def _ready(relay: RelayProcess) -> dict:
    status, body, _ = Api(relay.url).request("GET", "/ready")
    assert status == 200, body
    return body


def test_relays_run_on_the_chosen_store_and_hub(relay_factory, request: pytest.FixtureRequest):
    first, second = relay_factory(), relay_factory()
    for relay in (first, second):
        body = _ready(relay)
        assert body["store"] == request.config.getoption("--relay-store")
        assert body["hub"] == request.config.getoption("--relay-hub")
    # Each its own database: an agent's support on one is not a support on the other.
    api = Api(first.url)
    token = api.login("alice", "alice-password-1")
    session_id = api.new_support(token)["session_id"]
    other = Api(second.url)
    status, _, _ = other.request(
        "GET", f"/api/sessions/{session_id}/notes", token=other.login("alice", "alice-password-1")
    )
    assert status == 404
