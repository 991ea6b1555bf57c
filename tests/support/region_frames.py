"""Binary region frames made by hand for the relay's screen channel (the payload is a label,
not an image: the relay forwards bytes and never decodes them)."""

from __future__ import annotations

from suite.screen.frames import HEADER


def region(seq: int, x: int, y: int, w: int, h: int, screen=(64, 32), capture_ms=None) -> bytes:
    """One region frame: the header of docs/protocol.md, then the payload ``b"image <seq>"``."""
    header = HEADER.pack(
        b"RS", 1, 1, seq, float(capture_ms if capture_ms is not None else seq), x, y, w, h,
        screen[0], screen[1], 1, 0, 0,
    )  # fmt: skip
    return header + f"image {seq}".encode()
