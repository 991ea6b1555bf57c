"""Helpers of the whiteboard tests (CH3): elements, the consent flow, the BMP download."""

from __future__ import annotations

import contextlib
import itertools
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from tests.support.chat_client import ChatClient
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent

_nonces = itertools.count(1000)


def rect(element_id: str, version: int = 1, **fields: Any) -> dict[str, Any]:
    """A rectangle element (x 10, y 20, 30 x 40, red, width 4) with ``fields`` changed."""
    return {
        "id": element_id, "kind": "rectangle", "version": version, "nonce": next(_nonces),
        "deleted": False, "z": 1, "color": "#e11d48", "width": 4,
        "x": 10, "y": 20, "w": 30, "h": 40, **fields,
    }  # fmt: skip


def pen(element_id: str, points: list[list[int]], version: int = 1, **fields: Any) -> dict:
    """A blue pen stroke through ``points``."""
    return {
        "id": element_id, "kind": "pen", "version": version, "nonce": next(_nonces),
        "deleted": False, "z": 2, "color": "#2563eb", "width": 3, "points": points, **fields,
    }  # fmt: skip


def open_whiteboard(agent: ChatClient, customers: list[ChatClient]) -> dict[str, Any]:
    """The agent opens the board, the first customer accepts; returns the agent's
    ``whiteboard_state`` ``open`` (the others have theirs read too)."""
    agent.send({"type": "open_whiteboard"})
    for client in (agent, *customers):
        assert client.recv_type("whiteboard_state")["state"] == "asked"
    customers[0].send({"type": "answer_whiteboard", "accept": True})
    opened = agent.recv_type("whiteboard_state")
    assert opened["state"] == "open", opened
    for client in customers:
        assert client.recv_type("whiteboard_state")["state"] == "open"
    return opened


def update(client: ChatClient, board: int, *elements: dict[str, Any]) -> None:
    client.send({"type": "update_whiteboard", "board": board, "elements": list(elements)})


def get_bmp(relay_url: str, session_id: str, authorization: str) -> tuple[int, bytes]:
    """``GET .../whiteboard.bmp`` with ``authorization``; returns (status, body)."""
    request = urllib.request.Request(
        f"{relay_url}/api/sessions/{session_id}/whiteboard.bmp",
        headers={"Authorization": authorization} if authorization else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextlib.contextmanager
def module_relay(tmp_path_factory) -> Iterator[RelayProcess]:
    """One relay (alice and bob) for a whole test module: starting one costs seconds."""
    work_dir = tmp_path_factory.mktemp("relay")
    data_dir = work_dir / "data"
    data_dir.mkdir()
    for agent in DEFAULT_AGENTS:
        add_agent(data_dir, agent)
    relay = RelayProcess(data_dir, work_dir, ())
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()
