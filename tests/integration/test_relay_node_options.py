"""A relay as one node behind a load balancer: its name on every answer, the affinity header
on what creates a session, and the start-up checks of ``--node-name`` and
``--min-open-files`` (docs/deployment.md, "Several relays behind HAProxy")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support.api import Api
from tests.support.relay import REPO_ROOT, RelayError, run_relay_cli

NODE_HEADER = "X-Relay-Node"
AFFINITY_HEADER = "X-Relay-Affinity"


def test_every_answer_names_the_node_and_a_new_session_names_itself(relay_factory) -> None:
    """With ``--node-name``, pages, API answers and a websocket's 101 carry X-Relay-Node; the
    answer that creates a session carries its id in X-Relay-Affinity."""
    relay = relay_factory("--node-name", "relay-7")
    api = Api(relay.url)
    _, _, headers = api.request("GET", "/health")
    assert headers[NODE_HEADER] == "relay-7"
    token = api.login("alice", "alice-password-1")
    status, body, headers = api.request("POST", "/api/supports", token=token)
    assert status == 201, body
    assert headers[NODE_HEADER] == "relay-7"
    assert headers[AFFINITY_HEADER] == body["support"]["session_id"]
    with connect(f"{relay.ws_url}?session={body['support']['session_id']}") as ws:
        assert ws.response is not None and ws.response.headers[NODE_HEADER] == "relay-7"


def test_without_a_node_name_no_node_header_is_sent(relay) -> None:
    """A lone relay (no ``--node-name``) adds no X-Relay-Node header."""
    _, _, headers = Api(relay.url).request("GET", "/health")
    assert headers[NODE_HEADER] is None


@pytest.mark.parametrize("name", ["relay 1", "-relay", "x" * 64, "relay\r\nX-Evil: 1", "ré"])
def test_a_bad_node_name_is_refused_before_start(tmp_path: Path, name: str) -> None:
    """A node name that is not a plain word (it goes into a header and the balancer's logs)
    is refused with a clear error and exit status 2."""
    with pytest.raises(RelayError, match="exited with 2[^$]*--node-name is 1-63 letters"):
        run_relay_cli("--data", str(tmp_path), f"--node-name={name}")


def test_too_low_an_open_file_limit_stops_the_relay_with_the_fix(tmp_path: Path) -> None:
    """Under a hard open-file limit of 512, ``--min-open-files 20100`` (10,000 sessions) stops
    the relay at start with exit status 1 and says which limits to raise."""
    import subprocess

    result = subprocess.run(
        ["prlimit", "--nofile=512:512", sys.executable, "-m", "relay_server",
         "--port", "0", "--data", str(tmp_path), "--min-open-files", "20100"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "error: the open-file limit is 512 (hard limit 512), below --min-open-files 20100: "
        "raise the hard limit (systemd LimitNOFILE=" in result.stderr
    )
    assert "open descriptor limit: 512 (soft), 512 (hard)" in result.stdout + result.stderr
