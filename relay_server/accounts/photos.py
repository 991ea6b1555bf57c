"""Agents' profile photos (A2): small images kept in the data folder, served publicly.

On PostgreSQL (several nodes, one database) a photo lives in the store's shared files
(``photos/<username>``, relay_server/store/shared_files.py) instead: any node serves it and a
change made through one node is what every node serves next (no copy per node to go stale).

A photo's version is its sha256 (the first :data:`VERSION_CHARS` hex digits; on PostgreSQL in
the file's ``meta``): its address carries it (``?v=``), so a browser keeps it for good and a
new photo is a new address. A node keeps the last photos it served by version
(:data:`CACHED_PHOTOS`): a version names one content, so what it keeps is never stale, and a
request for a version it holds reads nothing from the database.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from suite.atomic_files import write_atomically

if TYPE_CHECKING:
    from relay_server.store.shared_files import SharedFiles

MAX_PHOTO_BYTES = 1024 * 1024
VERSION_CHARS = 20  # of the sha256's hex digits: 80 bits name a photo among an agent's
CACHED_PHOTOS = 64  # kept per node by version: at most 64 MiB, ~2 MiB for typical photos
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


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:VERSION_CHARS]


class Photos:
    def __init__(self, folder: Path, shared: SharedFiles | None = None):
        self.folder = folder
        self.shared = shared
        self.folder.mkdir(parents=True, exist_ok=True)
        # (username, version) -> (bytes, MIME type): the photos served last, by content.
        self._served: OrderedDict[tuple[str, str], tuple[bytes, str]] = OrderedDict()
        # A local photo's version by its file's (mtime, size): hashed once per change.
        self._local_versions: dict[str, tuple[tuple[int, int], str]] = {}

    def put(self, username: str, data: bytes) -> None:
        if len(data) > MAX_PHOTO_BYTES:
            raise PhotoError(f"a photo may be at most {MAX_PHOTO_BYTES // 1024} KiB")
        extension, _ = sniff(data)
        if self.shared is not None:
            self.shared.put_bytes(SHARED_PREFIX + username, data, {"sha256": version_of(data)})
            return
        self.delete(username)
        write_atomically(self.folder / f"{username}.{extension}", data)

    def get(self, username: str) -> tuple[bytes, str, str] | None:
        """The photo's bytes, MIME type and version, or None (kept as served by version)."""
        if self.shared is not None:
            found = self.shared.get_bytes(SHARED_PREFIX + username)
            if found is None:
                return None
            data, mime = found[0], sniff(found[0])[1]
        else:
            local = self.find(username)
            if local is None:
                return None
            try:
                data, mime = local[0].read_bytes(), local[1]
            except FileNotFoundError:  # deleted meanwhile
                return None
        version = version_of(data)
        self._served[(username, version)] = (data, mime)
        self._served.move_to_end((username, version))
        while len(self._served) > CACHED_PHOTOS:
            self._served.popitem(last=False)
        return data, mime, version

    def served(self, username: str, version: str) -> tuple[bytes, str] | None:
        """The photo of this version if this node served it lately (no read at all)."""
        found = self._served.get((username, version))
        if found is not None:
            self._served.move_to_end((username, version))
        return found

    def version(self, username: str) -> str | None:
        """The current photo's version (its bytes are not read from the database), or None:
        no photo."""
        if self.shared is not None:
            meta = self.shared.meta(SHARED_PREFIX + username)
            if meta is None:
                return None
            if meta.get("sha256"):
                return str(meta["sha256"])
            found = self.get(username)  # stored before versions were: noted from now on
            if found is None:
                return None
            self.shared.set_meta(SHARED_PREFIX + username, {"sha256": found[2]})
            return found[2]
        local = self.find(username)
        if local is None:
            return None
        try:
            stat = local[0].stat()
            key = (stat.st_mtime_ns, stat.st_size)
            known = self._local_versions.get(username)
            if known is None or known[0] != key:
                known = (key, version_of(local[0].read_bytes()))
                self._local_versions[username] = known
        except FileNotFoundError:  # deleted meanwhile
            return None
        return known[1]

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
        address, so browsers keep one for good); "" for no photo."""
        version = self.version(username)
        return "" if version is None else f"/api/agents/{username}/photo?v={version}"
