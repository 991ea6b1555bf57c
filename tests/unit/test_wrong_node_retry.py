"""wrong_node's lease hint (suite/protocol/wrong_node.py): the close reason and body field it
is read from, and when a client tries again."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from suite.protocol.wrong_node import (
    MAX_CLOSE_REASON_BYTES,
    MAX_LEASE_HINT_MS,
    RETRY_JITTER_MS,
    lease_hint_of_error,
    lease_hint_of_reason,
    wrong_node_close_reason,
    wrong_node_delay_s,
)

MESSAGE = "this session is served by another relay node; retry through the balancer"


def test_the_close_reason_carries_the_hint_and_reads_back():
    reason = wrong_node_close_reason(2140, MESSAGE)
    assert reason.startswith("wrong_node: lease_left_ms=2140; this session")
    assert len(reason.encode()) <= MAX_CLOSE_REASON_BYTES
    assert lease_hint_of_reason(reason) == 2140


def test_a_long_message_is_cut_to_a_close_frames_reason():
    reason = wrong_node_close_reason(5, "상담" * 100)
    assert len(reason.encode()) <= MAX_CLOSE_REASON_BYTES
    assert lease_hint_of_reason(reason) == 5


@pytest.mark.parametrize(
    "reason",
    [
        None,
        "",
        "wrong_node: abc is served by another relay node",  # a fenced-out socket: no hint
        "wrong_node: lease_left_ms=; x",
        "wrong_node: lease_left_ms=-5; x",
        "wrong_node: lease_left_ms=12.5; x",
        "wrong_node: lease_left_ms=99999999; x",
        f"wrong_node: lease_left_ms={MAX_LEASE_HINT_MS + 1}; x",
        "hub_unavailable: lease_left_ms=100; x",
        "relay restarting",
        7,
    ],
)
def test_an_absent_or_malformed_hint_in_a_reason_is_none(reason):
    assert lease_hint_of_reason(reason) is None


def test_the_hint_in_a_409_body():
    error = {"code": "wrong_node", "message": "m", "session_id": "s", "node": "relay1",
             "lease_left_ms": 1800}  # fmt: skip
    assert lease_hint_of_error(error) == 1800
    assert lease_hint_of_error({**error, "lease_left_ms": 0}) == 0


@pytest.mark.parametrize(
    "error",
    [
        None,
        "wrong_node",
        {"code": "wrong_node"},
        {"code": "wrong_node", "lease_left_ms": "1800"},
        {"code": "wrong_node", "lease_left_ms": True},
        {"code": "wrong_node", "lease_left_ms": 1.5},
        {"code": "wrong_node", "lease_left_ms": -1},
        {"code": "wrong_node", "lease_left_ms": MAX_LEASE_HINT_MS + 1},
        {"code": "hub_unavailable", "lease_left_ms": 100},
    ],
)
def test_an_absent_or_malformed_hint_in_a_body_is_none(error):
    assert lease_hint_of_error(error) is None


def test_without_a_hint_the_client_keeps_its_backoff():
    assert wrong_node_delay_s(None, 0, 0.4, 0.9) == 0.4
    assert wrong_node_delay_s(None, 5, 8.0, 0.1) == 8.0


def test_the_first_wrong_node_of_a_round_is_retried_on_the_clients_schedule():
    """The balancer may only now know a live owner: the usual pause, never past the hint."""
    assert wrong_node_delay_s(2500, 0, 0.3, 0.5) == 0.3
    assert wrong_node_delay_s(100, 0, 0.3, 0.5) == pytest.approx(0.2)


def test_from_the_second_wrong_node_on_the_client_waits_for_the_lease_plus_jitter():
    """Not its growing backoff: the moment the dead owner's sessions come free."""
    assert wrong_node_delay_s(2140, 1, 0.1, 0.0) == pytest.approx(2.14)
    assert wrong_node_delay_s(2140, 1, 0.1, 0.999) == pytest.approx(2.14 + 0.1998)
    assert wrong_node_delay_s(2140, 6, 15.0, 0.5) == pytest.approx(2.14 + RETRY_JITTER_MS / 2000)
    assert wrong_node_delay_s(0, 3, 15.0, 0.0) == 0.0


PROTOCOL_JS = Path(__file__).resolve().parents[2] / "ui" / "common" / "protocol.js"
REASONS = [
    wrong_node_close_reason(2140, MESSAGE), "wrong_node: abc is served elsewhere",
    "wrong_node: lease_left_ms=99999999; x", "relay restarting", None,
]  # fmt: skip
ERRORS = [
    {"code": "wrong_node", "lease_left_ms": 1800}, {"code": "wrong_node"},
    {"code": "wrong_node", "lease_left_ms": "1800"}, {"code": "wrong_node", "lease_left_ms": -1},
    {"code": "other", "lease_left_ms": 5}, None,
]  # fmt: skip
DELAYS = [(None, 0, 400, 0.5), (2500, 0, 300, 0.5), (100, 0, 300, 0.5), (2140, 1, 100, 0.25)]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_protocol_js_reads_the_hint_and_waits_as_python_does():
    """ui/common/protocol.js's mirror gives the same answers on the same cases."""
    script = f"""
        import {{ leaseHintOfReason, leaseHintOfError, wrongNodeDelayMs }} from "{PROTOCOL_JS}";
        const cases = {json.dumps({"reasons": REASONS, "errors": ERRORS, "delays": DELAYS})};
        console.log(JSON.stringify({{
          reasons: cases.reasons.map(leaseHintOfReason),
          errors: cases.errors.map(leaseHintOfError),
          delays: cases.delays.map((c) => wrongNodeDelayMs(...c)),
        }}));
    """
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                          text=True, timeout=30, check=True)  # fmt: skip
    js = json.loads(done.stdout)
    assert js["reasons"] == [lease_hint_of_reason(r) for r in REASONS]
    assert js["errors"] == [lease_hint_of_error(e) for e in ERRORS]
    python = [wrong_node_delay_s(h, n, b / 1000, s) * 1000 for h, n, b, s in DELAYS]
    assert js["delays"] == pytest.approx(python)
