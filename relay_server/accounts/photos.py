"""Agents' profile photos (A2): small images kept in the data folder, served publicly.

On PostgreSQL (several nodes, one database) a photo lives in the store's shared files
(``photos/<username>``, relay_server/store/shared_files.py) instead: any node serves it and a
change made through one node is what every node serves next (no copy per node to go stale).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from suite.atomic_files import write_atomically

if TYPE_CHECKING:
    from relay_server.store.shared_files import SharedFiles

MAX_PHOTO_BYTES = 1024 * 1024
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
}


KINDS = (("png", "image/png"), ("jpg", "image/jpeg"), ("webp", "image/webp"))


class PhotoError(ValueError):
    pass


def sniff(data: bytes) -> tuple[str, str]:
    """(extension, MIME type) from the file's first bytes; the client's claim is not trusted."""
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    raise PhotoError("a photo must be a PNG, JPEG or WebP image")


SHARED_PREFIX = "photos/"  # their names among the store's shared files


class Photos:
    def __init__(self, folder: Path, shared: SharedFiles | None = None):
        self.folder = folder
        self.shared = shared
        self.folder.mkdir(parents=True, exist_ok=True)

    def put(self, username: str, data: bytes) -> None:
        if len(data) > MAX_PHOTO_BYTES:
            raise PhotoError(f"a photo may be at most {MAX_PHOTO_BYTES // 1024} KiB")
        extension, _ = sniff(data)
        if self.shared is not None:
            self.shared.put_bytes(SHARED_PREFIX + username, data)
            return
        self.delete(username)
        write_atomically(self.folder / f"{username}.{extension}", data)

    def get(self, username: str) -> tuple[bytes, str] | None:
        """The photo's bytes and MIME type, or None."""
        if self.shared is not None:
            found = self.shared.get_bytes(SHARED_PREFIX + username)
            return None if found is None else (found[0], sniff(found[0])[1])
        local = self.find(username)
        if local is None:
            return None
        try:
            return local[0].read_bytes(), local[1]
        except FileNotFoundError:  # deleted meanwhile
            return None

    def find(self, username: str) -> tuple[Path, str] | None:
        """The photo's file in the data folder (one node's store), or None."""
        for extension, mime in KINDS:
            path = self.folder / f"{username}.{extension}"
            if path.exists():
                return path, mime
        return None

    def delete(self, username: str) -> None:
        if self.shared is not None:
            self.shared.delete(SHARED_PREFIX + username)
            return
        found = self.find(username)
        if found:
            found[0].unlink(missing_ok=True)

    def url(self, username: str) -> str:
        """Where the photo is served, its version in the query (a changed photo is a new
        address, so browsers may cache one for a day); "" for no photo."""
        if self.shared is not None:
            added_at = self.shared.added_at(SHARED_PREFIX + username)
            version = None if added_at is None else int(added_at * 1000)
        else:
            found = self.find(username)
            version = None if found is None else int(found[0].stat().st_mtime)
        return "" if version is None else f"/api/agents/{username}/photo?v={version}"
