"""The shared whiteboard's model (CH3): elements, their bounds, and the reconcile rule.

A board is a map ``id -> element``. An element is a plain JSON object (the same on the wire,
in the store and in ``ui/common/whiteboard/model.js``)::

    {"id": "k3x..", "kind": "pen", "version": 3, "nonce": 1873346, "deleted": false,
     "z": 1733360000123, "color": "#e11d48", "width": 4,
     "x": 10, "y": 20, "w": 100, "h": 50,          # rectangle, ellipse, text, image
     "points": [[10, 20], [11, 22], ...],          # pen (every point), line (two)
     "text": "...", "size": 24,                    # text
     "image": "<file id>"}                         # image

Coordinates are integers in board pixels (the view's zoom and pan never change them).

**Reconcile** (Excalidraw's rule): of two copies of one element the one with the higher
``version`` wins; at the same version the lower ``nonce`` wins. Every edit makes a new copy
with ``version + 1`` and a fresh random ``nonce``; a deletion is such an edit with
``deleted: true`` (a tombstone, never removed, so a late edit cannot bring it back unless its
version is higher). The rule is a total order on copies, so merging is commutative,
associative and idempotent: every side that has seen the same edits, in any order, holds the
same board. ``tests/data/whiteboard_reconcile_cases.json`` is run against this module and the
JavaScript one.

Drawing order is ``(z, id)``: ``z`` is set by the element's creator (its creation time in ms).

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

KINDS = ("pen", "line", "rectangle", "ellipse", "text", "image")
MAX_ELEMENTS = 5000  # live (not deleted) elements on one board
MAX_STORED_ELEMENTS = 20000  # with tombstones; "new board" starts again from none
MAX_POINTS = 5000  # points of one pen stroke
MAX_TEXT_CHARS = 2000
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # an image loaded onto the board (PNG, JPEG, WebP)
MAX_ELEMENT_ID_CHARS = 64
MAX_ELEMENTS_PER_UPDATE = 500  # one update_whiteboard message
MAX_BOARD_COORDINATE = 100_000  # board pixels either way from the origin
MAX_SIZE = 2 * MAX_BOARD_COORDINATE
MAX_NONCE = 2**31 - 1
MAX_VERSION = 2**53 - 1
MAX_Z = 2**53 - 1
MIN_WIDTH, MAX_WIDTH = 1, 64
MIN_TEXT_SIZE, MAX_TEXT_SIZE = 8, 200
COLOUR_RE = re.compile(r"#[0-9a-f]{6}")
ID_RE = re.compile(r"[A-Za-z0-9_-]+")
IMAGE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

Element = dict[str, Any]
Board = dict[str, Element]


class WhiteboardError(ValueError):
    """An element or a board that breaks a rule.

    ``code`` is what the relay answers with: ``bad_message`` (a malformed element),
    ``element_too_large`` (too many points, too long a text), ``whiteboard_full`` (too many
    elements on the board).
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _bad(message: str) -> WhiteboardError:
    return WhiteboardError("bad_message", message)


def _int(body: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"element '{name}' must be an integer")
    if not low <= value <= high:
        raise _bad(f"element '{name}' must be {low}-{high}")
    return value


def _coordinate(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("element coordinates must be integers")
    if not -MAX_BOARD_COORDINATE <= value <= MAX_BOARD_COORDINATE:
        raise _bad(f"element coordinates must be within ±{MAX_BOARD_COORDINATE}")
    return value


def check_element(body: Any) -> Element:
    """A well-formed element built from ``body`` (unknown fields dropped).

    Raises:
        WhiteboardError: ``bad_message`` naming the broken field, or ``element_too_large``.
    """
    if not isinstance(body, dict):
        raise _bad("an element must be an object")
    element_id = body.get("id")
    if (
        not isinstance(element_id, str)
        or not 0 < len(element_id) <= MAX_ELEMENT_ID_CHARS
        or not ID_RE.fullmatch(element_id)
    ):
        raise _bad(f"element 'id' must be 1-{MAX_ELEMENT_ID_CHARS} of A-Z a-z 0-9 _ -")
    kind = body.get("kind")
    if kind not in KINDS:
        raise _bad(f"element 'kind' must be one of {', '.join(KINDS)}")
    deleted = body.get("deleted", False)
    if not isinstance(deleted, bool):
        raise _bad("element 'deleted' must be true or false")
    color = body.get("color")
    if not isinstance(color, str) or not COLOUR_RE.fullmatch(color):
        raise _bad("element 'color' must be #rrggbb (lower case)")
    element: Element = {
        "id": element_id,
        "kind": kind,
        "version": _int(body, "version", 1, MAX_VERSION),
        "nonce": _int(body, "nonce", 0, MAX_NONCE),
        "deleted": deleted,
        "z": _int(body, "z", 0, MAX_Z),
        "color": color,
        "width": _int(body, "width", MIN_WIDTH, MAX_WIDTH),
    }
    if kind in ("pen", "line"):
        points = body.get("points")
        if not isinstance(points, list) or not points:
            raise _bad("element 'points' must be a non-empty list")
        if kind == "line" and len(points) != 2:
            raise _bad("a line has two points")
        if len(points) > MAX_POINTS:
            raise WhiteboardError("element_too_large", f"a stroke has at most {MAX_POINTS} points")
        checked = []
        for point in points:
            if not isinstance(point, list) or len(point) != 2:
                raise _bad("each point must be [x, y]")
            checked.append([_coordinate(point[0]), _coordinate(point[1])])
        element["points"] = checked
    else:
        element["x"] = _coordinate(body.get("x"))
        element["y"] = _coordinate(body.get("y"))
        element["w"] = _int(body, "w", 0, MAX_SIZE)
        element["h"] = _int(body, "h", 0, MAX_SIZE)
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, str):
            raise _bad("a text element needs 'text'")
        if len(text) > MAX_TEXT_CHARS:
            raise WhiteboardError(
                "element_too_large", f"a text has at most {MAX_TEXT_CHARS} characters"
            )
        element["text"] = text
        element["size"] = _int(body, "size", MIN_TEXT_SIZE, MAX_TEXT_SIZE)
    if kind == "image":
        image = body.get("image")
        if not isinstance(image, str) or not IMAGE_ID_RE.fullmatch(image):
            raise _bad("an image element needs the 'image' file id")
        element["image"] = image
    return element


def wins(remote: Element, local: Element) -> bool:
    """Whether ``remote`` replaces ``local`` (two copies of one element): the higher version,
    at the same version the lower nonce."""
    if remote["version"] != local["version"]:
        return bool(remote["version"] > local["version"])
    return bool(remote["nonce"] < local["nonce"])


def reconcile(
    local: Mapping[str, Element], remote: Iterable[Element]
) -> tuple[Board, list[Element]]:
    """Merge ``remote`` copies into ``local``.

    Returns:
        The merged board (a new dict; ``local`` is untouched) and the remote copies that won
        (what changed: the relay sends these on).
    """
    merged = dict(local)
    changed: list[Element] = []
    for element in remote:
        current = merged.get(element["id"])
        if current is None or wins(element, current):
            merged[element["id"]] = element
            changed.append(element)
    return merged, changed


def live(board: Mapping[str, Element]) -> list[Element]:
    """The elements to draw, in drawing order ``(z, id)``; tombstones left out."""
    return sorted((e for e in board.values() if not e["deleted"]), key=lambda e: (e["z"], e["id"]))


def check_room(board: Mapping[str, Element], incoming: Iterable[Element]) -> None:
    """Refuse a batch that would leave more than :data:`MAX_ELEMENTS` live elements, or more
    than :data:`MAX_STORED_ELEMENTS` with tombstones.

    Raises:
        WhiteboardError: ``whiteboard_full``.
    """
    added = 0
    new_ids = 0
    for element in incoming:
        current = board.get(element["id"])
        if current is None:
            new_ids += 1
        was_live = current is not None and not current["deleted"]
        added += int(not element["deleted"]) - int(was_live)
    live_count = sum(1 for e in board.values() if not e["deleted"])
    if live_count + added > MAX_ELEMENTS:
        raise WhiteboardError(
            "whiteboard_full", f"a board holds at most {MAX_ELEMENTS} elements; start a new board"
        )
    if len(board) + new_ids > MAX_STORED_ELEMENTS:
        raise WhiteboardError(
            "whiteboard_full",
            f"a board keeps at most {MAX_STORED_ELEMENTS} elements with erased ones; "
            "start a new board",
        )


def bounds(element: Element) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of what the element covers, its line width included."""
    pad = (element["width"] + 1) // 2
    if "points" in element:
        xs = [p[0] for p in element["points"]]
        ys = [p[1] for p in element["points"]]
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad
    return (
        element["x"] - pad,
        element["y"] - pad,
        element["x"] + element["w"] + pad,
        element["y"] + element["h"] + pad,
    )


def board_bounds(elements: Iterable[Element]) -> tuple[int, int, int, int] | None:
    """The box around every given element, or None for none."""
    boxes = [bounds(e) for e in elements]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
