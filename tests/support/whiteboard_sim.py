"""A seeded simulation of two or three whiteboard clients editing at once (the randomized
convergence test), written the same way in ``whiteboard_sim.js`` for the browser's model.

Both use the same generator (mulberry32) and the same steps, so one seed gives the same edits,
the same deliveries in the same order, and so the same final board on both sides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suite.whiteboard.model import reconcile

M32 = 0xFFFFFFFF
CASES_PATH = Path(__file__).resolve().parents[1] / "data" / "whiteboard_reconcile_cases.json"
SIM_JS = Path(__file__).with_suffix(".js")


def load_cases() -> dict[str, Any]:
    """The shared table of cases, with compact point lists expanded."""
    cases = json.loads(CASES_PATH.read_text())
    for case in cases["elements"]:
        element = case["element"]
        if isinstance(element, dict) and isinstance(element.get("points"), dict):
            spec = element["points"]
            element["points"] = [list(spec["repeat"]) for _ in range(spec["count"])]
    return cases


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def mulberry32(seed: int) -> Callable[[int], int]:
    """``below(n)``: the next number in ``0..n-1`` from the seeded generator."""
    state = [seed & M32]

    def below(n: int) -> int:
        state[0] = (state[0] + 0x6D2B79F5) & M32
        a = state[0]
        t = _imul(a ^ (a >> 15), 1 | a)
        t = ((t + _imul(t ^ (t >> 7), 61 | t)) & M32) ^ t
        return ((t ^ (t >> 14)) & M32) % n

    return below


def _live_sorted(board: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted((e for e in board.values() if not e["deleted"]), key=lambda e: (e["z"], e["id"]))


def simulate(seed: int, clients: int, steps: int) -> list[list[Any]]:
    """Run the edits of ``clients`` replicas; returns each replica's final board fingerprint
    (``[id, version, nonce, deleted, x]`` sorted by id), one per replica."""
    below = mulberry32(seed)
    boards: list[dict[str, Any]] = [{} for _ in range(clients)]
    pending: list[list[dict[str, Any]]] = [[] for _ in range(clients)]

    def publish(origin: int, element: dict[str, Any]) -> None:
        boards[origin] = reconcile(boards[origin], [element])[0]
        for other in range(clients):
            if other != origin:
                pending[other].append(element)

    for step in range(steps):
        client = below(clients)
        action = below(4)
        shown = _live_sorted(boards[client])
        if action == 0 or (action in (1, 2) and not shown):
            publish(client, {
                "id": f"c{client}s{step}", "kind": "rectangle", "version": 1,
                "nonce": below(2**31), "deleted": False, "z": step, "color": "#e11d48",
                "width": 2, "x": below(1000), "y": 0, "w": 10, "h": 10,
            })  # fmt: skip
        elif action in (1, 2):
            current = shown[below(len(shown))]
            copy = {**current, "version": current["version"] + 1, "nonce": below(2**31)}
            if action == 1:
                copy["x"] = below(1000)
            else:
                copy["deleted"] = True
            publish(client, copy)
        else:
            for _ in range(below(len(pending[client]) + 1)):
                element = pending[client].pop(below(len(pending[client])))
                boards[client] = reconcile(boards[client], [element])[0]
    for client in range(clients):
        while pending[client]:
            element = pending[client].pop(below(len(pending[client])))
            boards[client] = reconcile(boards[client], [element])[0]
    return [
        [[e["id"], e["version"], e["nonce"], e["deleted"], e["x"]] for _, e in sorted(b.items())]
        for b in boards
    ]
