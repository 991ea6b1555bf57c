"""Helpers of the whiteboard tests (CH3): elements, the consent flow, the BMP download."""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import time
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


# Browser side: scripted pointer events on a page's whiteboard canvas, started without waiting
# (so that several pages draw at the same time), and what a page's board holds.
START_DRAWING_JS = """({tool, strokes, pause, pointerId}) => {
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  document.querySelector(`[data-testid=wb-tool-${tool}]`).click();
  const rect = canvas.getBoundingClientRect();
  const fire = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {
    bubbles: true, pointerId, isPrimary: true, button: 0, buttons: type === 'pointerup' ? 0 : 1,
    clientX: rect.left + x, clientY: rect.top + y, pointerType: 'mouse'}));
  const sleep = () => new Promise((resolve) => setTimeout(resolve, pause));
  window.__wbDrawn = (async () => {
    for (const points of strokes) {
      fire('pointerdown', points[0]);
      for (const point of points.slice(1)) { await sleep(); fire('pointermove', point); }
      fire('pointerup', points[points.length - 1]);
      await sleep();
    }
    return true;
  })();
}"""

BOARD_JS = """() => {
  const board = document.querySelector('[data-testid=wb-canvas]').wbBoard;
  return {
    number: board.number,
    pending: board.pending.size,
    elements: [...board.elements.values()]
      .map((e) => [e.id, e.version, e.nonce, e.deleted]).sort(),
  };
}"""

BOARD_PNG_JS = """async () => {
  const { boardCanvas } = await import('/ui/common/whiteboard/renderer.js');
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  return boardCanvas(canvas.wbBoard.live(), canvas.wbView.images).toDataURL('image/png');
}"""


def start_drawing(page, tool: str, strokes: list[list[list[int]]], pause_ms: int = 8) -> None:
    """Begin drawing ``strokes`` (canvas CSS pixels) with ``tool``; returns at once."""
    page.evaluate(
        START_DRAWING_JS, {"tool": tool, "strokes": strokes, "pause": pause_ms, "pointerId": 1}
    )


def finish_drawing(page) -> None:
    page.wait_for_function("() => window.__wbDrawn !== undefined")
    page.evaluate("window.__wbDrawn")


def board_of(page) -> dict[str, Any]:
    return page.evaluate(BOARD_JS)


def wait_same_boards(pages, timeout_s: float = 10.0) -> dict[str, Any]:
    """Wait until every page holds the same elements with nothing left to send; returns it."""
    deadline = time.monotonic() + timeout_s
    while True:
        boards = [board_of(page) for page in pages]
        if all(b == boards[0] for b in boards) and boards[0]["pending"] == 0:
            return boards[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"the boards differ: {boards}")
        pages[0].wait_for_timeout(50)


def board_png(page) -> bytes:
    """The page's board drawn by its canvas renderer, as PNG bytes."""
    url = page.evaluate(BOARD_PNG_JS)
    return base64.b64decode(url.split(",", 1)[1])


def ink_agreement(one: bytes, other: bytes, reach_px: int = 2) -> float:
    """How much of each picture's ink (non-white pixels) lies within ``reach_px`` of the
    other's ink: the smaller of the two shares (1.0: the same drawing within antialiasing)."""
    import numpy as np
    from PIL import Image

    masks = []
    for data in (one, other):
        with Image.open(io.BytesIO(data)) as picture:
            pixels = np.asarray(picture.convert("RGB"), dtype=np.int16)
        masks.append((pixels < 200).any(axis=2))
    if masks[0].shape != masks[1].shape:
        return 0.0

    def grown(mask):
        out = mask.copy()
        for dy in range(-reach_px, reach_px + 1):
            for dx in range(-reach_px, reach_px + 1):
                out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
        return out

    shares = []
    for mine, theirs in ((masks[0], masks[1]), (masks[1], masks[0])):
        total = int(mine.sum())
        shares.append(1.0 if total == 0 else float((mine & grown(theirs)).sum()) / total)
    return min(shares)


def put_image(relay_url: str, session_id: str, authorization: str, data: bytes):
    """``PUT .../whiteboard/images``; returns (status, JSON answer)."""
    request = urllib.request.Request(
        f"{relay_url}/api/sessions/{session_id}/whiteboard/images",
        data=data,
        method="PUT",
        headers={"Authorization": authorization, "Content-Type": "application/octet-stream"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def png_of(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    """A one-colour PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()
