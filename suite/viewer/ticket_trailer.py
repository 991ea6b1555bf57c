"""The one-time ticket appended to a viewer executable, and how the viewer reads it back.

Layout, at the very end of the file::

    <payload: UTF-8 JSON object> <payload length: uint32 little-endian> <magic: b"RSVWTKT1">

Why appending is safe: PyInstaller's one-file bootloader (and its Python reader) finds its
archive by searching the file *backwards* for its cookie (``MEI\\014\\013\\012\\013\\016``) and
computes the archive's start from the cookie, so bytes after the archive are ignored (this is
also how signed Windows executables keep working). The payload is JSON text: it can never
contain the cookie's control bytes. A macOS ``.app`` or a signed Windows executable would need
the ticket elsewhere (a sidecar or the file name); see docs/builds.md.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

TRAILER_MAGIC = b"RSVWTKT1"
TRAILER_VERSION = 1
_LENGTH = struct.Struct("<I")
MAX_PAYLOAD_BYTES = 4096


class TrailerError(ValueError):
    """The file carries no ticket, or a damaged one."""


def encode_trailer(relay_url: str, ticket: str) -> bytes:
    """The bytes to append to a viewer executable so that it connects to ``relay_url``."""
    payload = json.dumps(
        {"v": TRAILER_VERSION, "relay_url": relay_url, "ticket": ticket}, separators=(",", ":")
    ).encode()
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise TrailerError(f"ticket payload over {MAX_PAYLOAD_BYTES} bytes")
    return payload + _LENGTH.pack(len(payload)) + TRAILER_MAGIC


def parse_trailer(tail: bytes) -> dict[str, Any]:
    """The ticket from the last bytes of a file (at least the whole trailer).

    Raises:
        TrailerError: no magic at the end, a bad length, or a payload that is not the ticket.
    """
    suffix = len(TRAILER_MAGIC) + _LENGTH.size
    if len(tail) < suffix or not tail.endswith(TRAILER_MAGIC):
        raise TrailerError("this file carries no viewer ticket")
    (length,) = _LENGTH.unpack_from(tail, len(tail) - suffix)
    if length > MAX_PAYLOAD_BYTES or length > len(tail) - suffix:
        raise TrailerError(f"bad ticket length {length}")
    raw = tail[len(tail) - suffix - length : len(tail) - suffix]
    try:
        payload = json.loads(raw)
    except ValueError:
        raise TrailerError("the ticket is not valid JSON") from None
    if (
        not isinstance(payload, dict)
        or payload.get("v") != TRAILER_VERSION
        or not isinstance(payload.get("relay_url"), str)
        or not isinstance(payload.get("ticket"), str)
        or not payload["ticket"]
    ):
        raise TrailerError("the ticket lacks 'relay_url' or 'ticket' (or is of another version)")
    return payload


def read_trailer(path: Path) -> dict[str, Any]:
    """Read the ticket appended to the file at ``path`` (usually ``sys.executable``).

    Raises:
        TrailerError: see ``parse_trailer``; OSError when the file cannot be read.
    """
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        want = min(size, MAX_PAYLOAD_BYTES + _LENGTH.size + len(TRAILER_MAGIC))
        file.seek(size - want)
        return parse_trailer(file.read(want))
