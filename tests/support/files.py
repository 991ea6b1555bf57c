"""Files for the transfer tests: big files made fast, the relay's spool, a process's memory."""

from __future__ import annotations

import hashlib
import os
import struct
import urllib.request
import zlib
from pathlib import Path

from tests.support.api import Api

MIB = 1024 * 1024


def make_file(path: Path, size: int) -> str:
    """Write `size` random-ish bytes (fast: a repeated random block) and return the sha256."""
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    with path.open("wb") as sink:
        left = size
        counter = 0
        while left > 0:
            piece = (counter.to_bytes(8, "little") + block)[: min(MIB, left)]
            sink.write(piece)
            digest.update(piece)
            left -= len(piece)
            counter += 1
    return digest.hexdigest()


def rss_kib(pid: int) -> dict[str, int]:
    """The resident memory of process ``pid`` now (VmRSS) and at its peak (VmHWM), in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def spooled(relay) -> list[Path]:
    """The files in the relay's upload spool (none once every transfer is over)."""
    folder = relay.data_dir / "file_spool"
    return sorted(folder.iterdir()) if folder.exists() else []


def png_bytes(
    width: int = 48, height: int = 48, rgb: tuple[int, int, int] = (47, 84, 235)
) -> bytes:
    """A real PNG image of one colour (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def send_file(api: Api, token: str, session_id: str, name: str, data: bytes) -> None:
    """The agent offers and uploads one file (P4) through the relay's HTTP API."""
    offer = {"name": name, "size": len(data), "type": "application/pdf",
             "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
    status, body, _ = api.request("POST", f"/api/sessions/{session_id}/files", offer, token)
    assert status == 201, body
    request = urllib.request.Request(
        f"{api.base_url}/api/files/{body['transfer']['id']}/content?offset=0",
        data=data,
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
